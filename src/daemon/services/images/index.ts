import { join } from 'node:path';
import { buildGoldenImage, defaultPackagesFile } from '../../../host/images/golden/build-golden.js';
import { pullCatalogKernel } from '../../../host/images/kernel/pull-kernel.js';
import { pullImage } from '../../../host/images/oci/index.js';
import type { Logger } from '../../../host/logger.js';
import type { BangerPaths } from '../../../host/paths.js';
import type { Runner } from '../../../host/runner.js';
import type { Db } from '../../../store/db.js';
import { ImageRepository } from '../../../store/image-repository.js';
import { VmRepository } from '../../../store/vm-repository.js';
import type { BuildGoldenFn } from './golden-builder.js';
import { ImageService } from './image-service.js';
import { KernelService, type PullKernelFn } from './kernel-service.js';
import { SharedOperations } from './shared-operations.js';
import { cleanStaleArtifacts } from './stale-artifacts.js';

export interface ImageServices {
  images: ImageService;
  kernels: KernelService;
  /** Aborts running pulls and builds (their temp files are removed) and waits for them. */
  close(): Promise<void>;
}

export interface ImageServicesOptions {
  paths: BangerPaths;
  runner: Runner;
  logger: Logger;
  db: Db;
  /** Seams for tests; the defaults are the real builder and pullers. */
  buildGolden?: BuildGoldenFn;
  pullKernel?: PullKernelFn;
  pullOci?: typeof pullImage;
  defaultPackagesFile?: string;
  /** Config `insecure_skip_kernel_signature`: catalog kernels are pulled without checking Debian's signed index. */
  insecureSkipKernelSignature?: boolean;
}

/**
 * Builds the image and kernel services. Call `cleanStaleArtifacts` (below)
 * once at daemon start before serving.
 */
export function createImageServices(o: ImageServicesOptions): ImageServices {
  const repo = new ImageRepository(o.db);
  const vms = new VmRepository(o.db);
  const operations = new SharedOperations();
  const pullKernel: PullKernelFn =
    o.pullKernel ??
    ((p) =>
      pullCatalogKernel({
        runner: o.runner,
        name: p.name,
        cacheDir: join(o.paths.cacheDir, 'debian'),
        dest: p.dest,
        insecureSkipSignature: o.insecureSkipKernelSignature === true,
        signal: p.signal,
        onProgress: p.onProgress,
      }));
  const kernels = new KernelService(o.paths.kernelsDir, repo, operations, pullKernel);
  const images = new ImageService({
    paths: o.paths,
    runner: o.runner,
    logger: o.logger,
    images: repo,
    kernels,
    operations,
    pullOci: o.pullOci ?? pullImage,
    buildGolden: o.buildGolden ?? buildGoldenImage,
    defaultPackagesFile: o.defaultPackagesFile ?? shippedPackagesFile(),
    vmsUsing: (name) =>
      vms
        .list()
        .filter((vm) => vm.image === name)
        .map((vm) => vm.name),
  });
  return { images, kernels, close: () => operations.abortAll() };
}

/** Removes what a killed daemon left behind (see stale-artifacts.ts); logs what went. */
export async function removeStaleImageArtifacts(
  o: Pick<ImageServicesOptions, 'paths' | 'db' | 'logger'>,
): Promise<void> {
  const removed = await cleanStaleArtifacts(o.paths, new ImageRepository(o.db));
  if (removed.length > 0)
    o.logger.info({ removed }, 'removed leftovers of interrupted image and kernel operations');
}

/** banger's own images/debian-bookworm/packages.txt, or undefined when this install lacks it. */
function shippedPackagesFile(): string | undefined {
  try {
    return defaultPackagesFile();
  } catch {
    return undefined;
  }
}
