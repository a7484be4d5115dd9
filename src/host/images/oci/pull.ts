import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { BlobCache } from './blob-cache.js';
import { DigestMismatchError } from './digest-stream.js';
import { downloadLayers } from './download.js';
import type { Ext4Options } from './ext4.js';
import { DEFAULT_PULL_LIMITS, PullBudget, type PullLimits } from './limits.js';
import { defaultOwnershipMode, type OwnershipMode } from './ownership.js';
import { formatReference, parseReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import { resolveImage } from './resolve.js';
import { buildRootfs } from './rootfs.js';
import { type ImageRunConfig, runConfigOf } from './schemas.js';
import { PULL_DIR_PREFIX } from './stale.js';

export interface PullProgress {
  stage: 'resolve' | 'download' | 'extract' | 'ext4';
  message: string;
  current?: number;
  total?: number;
}

export interface PullImageOptions {
  /** Any reference: `debian`, `docker.io/library/debian:bookworm`, `localhost:5000/x:y`, `host/x@sha256:…`. */
  ref: string;
  /** banger's cache directory (`~/.cache/banger`); blobs go to `<cacheDir>/oci/blobs/sha256/<hex>`. */
  cacheDir: string;
  /**
   * Where the temporary build directory is created. Put it on the same
   * filesystem as the image store so the result can be renamed into place.
   */
  workDir: string;
  /** Allow plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  runner: Runner;
  onProgress?: (event: PullProgress) => void;
  /** Diagnostics such as skipped device nodes. */
  log?: (message: string) => void;
  signal?: AbortSignal;
  /** Default: `chown` when running as root, `debugfs` otherwise (see ownership.ts). */
  ownership?: OwnershipMode;
  ext4?: Ext4Options;
  /** What one pull may unpack; defaults in DEFAULT_PULL_LIMITS (tests pass small ones). */
  limits?: Partial<PullLimits>;
  /** Parallel layer downloads. Default 3. */
  concurrency?: number;
  dispatcher?: Dispatcher;
}

export interface PulledImage {
  /**
   * The built filesystem inside `buildDir`, fsynced. Rename it into place
   * (then fsync the target directory), then call `cleanup()`.
   */
  rootfsPath: string;
  buildDir: string;
  /** Canonical reference, e.g. `docker.io/library/debian:bookworm`. */
  reference: string;
  /** Digest of the linux/amd64 image manifest: the image's identity. */
  manifestDigest: string;
  /** Digest of the index or manifest list the reference resolved to, if any. */
  indexDigest: string | undefined;
  configDigest: string;
  config: ImageRunConfig;
  layers: { digest: string; size: number }[];
  /** Apparent size of `rootfsPath` (the file is sparse). */
  sizeBytes: number;
  /** Removes `buildDir` and whatever is still in it. Idempotent. */
  cleanup(): Promise<void>;
}

/**
 * Pulls an image and builds its root filesystem as ext4.
 *
 * Contract: on success the caller owns `buildDir` (a fresh 0700 directory
 * under `workDir`) containing only `rootfs.ext4`; on failure nothing is left
 * in `workDir` and only complete, verified blobs remain in the cache. A blob
 * found corrupt in the cache is evicted and the pull retried once.
 * The filesystem is the flattened image plus the mount points the guest
 * needs (`/dev`, `/proc`, `/run`, `/sys`, `/tmp`) when the image lacks them.
 * An image whose layers unpack to more than `limits` allow (bytes or
 * entries) fails with AppError invalid_argument naming the limit.
 */
export async function pullImage(options: PullImageOptions): Promise<PulledImage> {
  try {
    return await pullOnce(options);
  } catch (err) {
    if (!(err instanceof DigestMismatchError)) throw err;
    const cache = new BlobCache(options.cacheDir);
    await cache.evict(err.expected);
    options.log?.(`cached blob ${err.expected} was corrupt (${err.actual}); evicted it, pulling again`);
    try {
      return await pullOnce(options);
    } catch (again) {
      if (again instanceof DigestMismatchError) {
        await cache.evict(again.expected);
        throw new AppError(
          'operation_failed',
          `${again.message}; the blob was removed from the cache. Retry the pull; if it keeps failing the registry is serving bad data.`,
          { cause: again },
        );
      }
      throw again;
    }
  }
}

async function pullOnce(options: PullImageOptions): Promise<PulledImage> {
  const progress = options.onProgress ?? (() => {});
  const ref = parseReference(options.ref);
  const reference = formatReference(ref);
  const cache = new BlobCache(options.cacheDir);
  const client = new RegistryClient({
    ref,
    insecure: options.insecure ?? false,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  progress({ stage: 'resolve', message: `resolving ${reference}` });
  const image = await resolveImage(client, cache, ref);
  const budget = new PullBudget({ ...DEFAULT_PULL_LIMITS, ...options.limits }, reference);
  budget.checkCompressed(image.manifest.layers.reduce((sum, l) => sum + l.size, 0));
  await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  // mkdtemp creates 0700: extracted setuid binaries are unreachable for other users.
  const buildDir = await mkdtemp(join(options.workDir, PULL_DIR_PREFIX));
  const cleanup = () => rm(buildDir, { recursive: true, force: true });
  try {
    const layers = image.manifest.layers;
    const downloads = downloadLayers({
      client,
      cache,
      layers,
      concurrency: options.concurrency ?? 3,
      progress,
    });
    const rootfsPath = join(buildDir, 'rootfs.ext4');
    const { bytes } = await buildRootfs({
      cache,
      layers,
      diffIds: image.config.rootfs.diff_ids,
      downloads,
      buildDir,
      rootfsPath,
      runner: options.runner,
      ownership: options.ownership ?? defaultOwnershipMode(),
      budget,
      ...(options.ext4 ? { ext4: options.ext4 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      log: options.log ?? (() => {}),
      progress,
    });
    return {
      rootfsPath,
      buildDir,
      reference,
      manifestDigest: image.manifestDigest,
      indexDigest: image.indexDigest,
      configDigest: image.configDigest,
      config: runConfigOf(image.config),
      layers: layers.map((l) => ({ digest: l.digest, size: l.size })),
      sizeBytes: bytes,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
