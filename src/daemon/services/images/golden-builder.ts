import type { Runner } from '../../../host/runner.js';

/**
 * The golden image builder's contract (src/host/images/golden/build-golden.ts).
 * The image service calls it through this type, so tests can inject a fake
 * and the daemon works (answering "not available") until the builder lands.
 */
export interface GoldenBuildOptions {
  runner: Runner;
  packagesFile: string;
  sizeBytes: number;
  /** Empty temp dir inside the state dir; the builder writes rootfs.ext4, work-seed.ext4 and kernel/ (a kernel set). */
  dest: string;
  logFile: string;
  mirror?: string;
  onProgress?: (e: { stage: string; message: string }) => void;
  signal?: AbortSignal;
}

export interface GoldenBuildResult {
  rootfs: string;
  workSeed: string;
  kernelDir: string;
  kernelVersion: string;
  packages: string[];
  mode: 'unshare' | 'root';
}

export type BuildGoldenFn = (o: GoldenBuildOptions) => Promise<GoldenBuildResult>;
