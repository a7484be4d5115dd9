import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { AppError } from '../../../domain/errors.js';
import { runDebugfs } from '../../ext4/debugfs.js';
import type { Runner } from '../../runner.js';
import type { BlobCache } from './blob-cache.js';
import { DigestMismatchError } from './digest-stream.js';
import type { LayerDownloads } from './download.js';
import { buildExt4, type Ext4Options } from './ext4.js';
import { applyLayer, ensureMountPoints, finishTree } from './flatten.js';
import { openLayer } from './layer-stream.js';
import type { PullBudget } from './limits.js';
import { type OwnershipMode, ownershipScript } from './ownership.js';
import type { PullProgress } from './pull.js';
import { RootTree } from './root-tree.js';
import type { Descriptor } from './schemas.js';

export interface BuildRootfsOptions {
  cache: BlobCache;
  layers: readonly Descriptor[];
  /** Uncompressed digests from the image config, one per layer. */
  diffIds: readonly string[];
  downloads: LayerDownloads;
  /** A private (0700) directory; the tree and scratch files live here and are removed. */
  buildDir: string;
  rootfsPath: string;
  runner: Runner;
  ownership: OwnershipMode;
  /** Counts the uncompressed bytes and the entries of all layers; a pull past its limits fails. */
  budget: PullBudget;
  ext4?: Ext4Options;
  signal?: AbortSignal;
  log: (message: string) => void;
  progress: (event: PullProgress) => void;
}

/**
 * Flattens the layers oldest first into `<buildDir>/tree` as each one's
 * download completes, then builds `rootfsPath` from the tree and removes
 * the tree. Stops the downloads and removes the tree on any failure.
 */
export async function buildRootfs(options: BuildRootfsOptions): Promise<{ bytes: number }> {
  const { layers, progress } = options;
  const treeDir = join(options.buildDir, 'tree');
  const scratch = join(options.buildDir, 'scratch');
  await mkdir(treeDir, { mode: 0o700 });
  await mkdir(scratch, { mode: 0o700 });
  const tree = new RootTree(treeDir);
  const chown = options.ownership === 'chown';
  try {
    for (const [i, layer] of layers.entries()) {
      await options.downloads.ready[i];
      options.signal?.throwIfAborted();
      progress({
        stage: 'extract',
        message: `extracting layer ${i + 1}/${layers.length} (${layer.digest.slice(7, 19)})`,
        current: i,
        total: layers.length,
      });
      const opened = await openLayer({
        cache: options.cache,
        digest: layer.digest,
        diffId: options.diffIds[i] ?? '',
        runner: options.runner,
        scratchDir: scratch,
        maxBytes: options.budget.remainingBytes,
      });
      const counted = pipeline(opened.tar, options.budget.counter(), () => {});
      try {
        await applyLayer(tree, layer.digest, counted, { chown, log: options.log }, () =>
          options.budget.addEntry(),
        );
      } catch (err) {
        throw await explainLayerFailure(options.cache, layer.digest, err);
      } finally {
        await opened.cleanup();
      }
    }
    progress({
      stage: 'extract',
      message: 'extracted all layers',
      current: layers.length,
      total: layers.length,
    });
    ensureMountPoints(tree);
    await finishTree(tree, chown);
    progress({ stage: 'ext4', message: 'building the ext4 root filesystem' });
    const rootOwner = tree.owners.get('') ?? { uid: 0, gid: 0 };
    const built = await buildExt4({
      root: treeDir,
      output: options.rootfsPath,
      runner: options.runner,
      rootOwner: { uid: rootOwner.uid, gid: rootOwner.gid },
      ...(options.ext4 ? { ext4: options.ext4 } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await runDebugfs({
      runner: options.runner,
      image: options.rootfsPath,
      commands: ownershipScript(tree.owners, options.ownership),
      purpose: 'apply ownership to',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // mke2fs and debugfs flush on close; this makes "complete on disk" part of our contract regardless.
    const handle = await open(options.rootfsPath, 'r+');
    await handle.sync();
    await handle.close();
    progress({
      stage: 'ext4',
      message: `built ${options.rootfsPath}`,
      current: built.bytes,
      total: built.bytes,
    });
    return built;
  } finally {
    await options.downloads.stop();
    await rm(treeDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A cached blob is trusted by name, so when reading a layer fails — a gzip
 * or tar error as much as a refused entry — the blob is hashed again: if it
 * no longer matches its digest the failure is really a corrupt cache entry
 * (DigestMismatchError, which makes the pull evict it and retry).
 */
async function explainLayerFailure(cache: BlobCache, digest: string, err: unknown): Promise<unknown> {
  if (err instanceof DigestMismatchError) return err;
  try {
    await cache.verify(digest);
  } catch (mismatch) {
    if (mismatch instanceof DigestMismatchError) return mismatch;
  }
  if (err instanceof AppError) return err;
  return new AppError(
    'operation_failed',
    `layer ${digest} could not be read: ${err instanceof Error ? err.message : String(err)}. The image is malformed.`,
    { cause: err, details: { layer: digest } },
  );
}
