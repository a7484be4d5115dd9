import type { GoldenBuildOptions } from '../../../host/images/golden/build-golden.js';

export type { GoldenBuildOptions };

/**
 * What the image service needs back from the golden builder
 * (`buildGoldenImage` in src/host/images/golden/build-golden.ts returns more).
 * Narrow on purpose, so tests can inject a fake builder at this seam.
 */
export interface GoldenBuildResult {
  rootfs: string;
  workSeed: string;
  kernelDir: string;
  kernelVersion: string;
  packages: string[];
  mode: 'unshare' | 'root';
}

export type BuildGoldenFn = (o: GoldenBuildOptions) => Promise<GoldenBuildResult>;
