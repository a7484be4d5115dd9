import { mkdirSync } from 'node:fs';
import { chmod, lstat, utimes } from 'node:fs/promises';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { type ApplyOptions, LayerApplier, type TarHeader } from './apply-entry.js';
import type { RootTree } from './root-tree.js';

/**
 * Applies one uncompressed layer tar onto the tree. Resolves once every
 * entry is applied and the stream ended cleanly; if the stream fails (for
 * example its digest turns out wrong at the end) this rejects, and the
 * caller must discard the whole tree.
 */
export async function applyLayer(
  tree: RootTree,
  layer: string,
  tar: Readable,
  options: ApplyOptions,
  onEntry?: (count: number) => void,
): Promise<number> {
  const applier = new LayerApplier(tree, layer, options);
  const entries = extract();
  const feeding = pipeline(tar, new EndOfArchive(), entries);
  // Observed now, awaited below: it can reject while the loop is still waiting for an entry.
  feeding.catch(() => {});
  let count = 0;
  try {
    for await (const entry of entries) {
      await applier.apply(entry.header as TarHeader, entry);
      onEntry?.(++count);
    }
  } catch (err) {
    entries.destroy();
    tar.destroy();
    // The feeding side fails too once we tear it down; the entry error is the one that matters.
    await feeding.catch(() => {});
    throw err;
  }
  await feeding;
  return count;
}

/**
 * Appends what a tar stream may lack at its end: the last entry's padding
 * and the two zero blocks that mark the end of the archive. umoci 0.4
 * writes layers without them, and GNU tar and Go's reader accept that. Only
 * zeros are added, after the content was hashed: a truncated entry still
 * fails its diff id check.
 */
class EndOfArchive extends Transform {
  private bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    // Exactly to the next block boundary, then two blocks: tar-stream refuses a partial trailing block.
    done(null, Buffer.alloc(((512 - (this.bytes % 512)) % 512) + 2 * 512));
  }
}

/** Where the guest mounts filesystems at boot; images built FROM scratch often lack them. */
const MOUNT_POINTS: readonly [string, number][] = [
  ['dev', 0o755],
  ['proc', 0o555],
  ['run', 0o755],
  ['sys', 0o555],
  ['tmp', 0o1777],
];

/** Creates the mount points the guest's init needs when the image has nothing at those paths. */
export function ensureMountPoints(tree: RootTree): void {
  for (const [name, mode] of MOUNT_POINTS) {
    if (tree.lookup([name]) !== undefined) continue;
    mkdirSync(tree.abs([name]), { mode: 0o700 });
    tree.markDir([name]);
    tree.owners.set(name, { uid: 0, gid: 0, mode, kind: 'dir' });
    tree.dirs.set(name, { mode, mtime: new Date(0) });
  }
}

/**
 * Gives directories their final modes and mtimes, deepest first (creating
 * children changed them). Unprivileged, directories stay owner-writable and
 * searchable so mkfs.ext4 can read them; the exact mode is set in the image.
 */
export async function finishTree(tree: RootTree, chown: boolean): Promise<void> {
  const keys = [...tree.dirs.keys()].sort((a, b) => depth(b) - depth(a));
  for (const key of keys) {
    const meta = tree.dirs.get(key);
    if (!meta) continue;
    const abs = tree.abs(key === '' ? [] : key.split('/'));
    const st = await lstat(abs);
    if (!st.isDirectory()) continue;
    await chmod(abs, chown ? meta.mode : meta.mode | 0o700);
    await utimes(abs, meta.mtime, meta.mtime);
  }
  const root = tree.owners.get('');
  if (root && !tree.dirs.has('')) await chmod(tree.root, chown ? root.mode : root.mode | 0o700);
}

function depth(key: string): number {
  return key === '' ? 0 : key.split('/').length;
}
