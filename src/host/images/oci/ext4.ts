import { lstat, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import { CommandError, type Runner } from '../../runner.js';

export interface Ext4Options {
  /** Extra space as a fraction of the measured content. Default 0.1. */
  headroomRatio?: number;
  /** Extra space in bytes on top of the ratio. Default 64 MiB. */
  headroomBytes?: number;
  /** Filesystem label. Default `rootfs`. */
  label?: string;
  /**
   * Exact size of the image file instead of one measured from the tree; the
   * inode count is then mke2fs's default for that size. Content that does
   * not fit is an `invalid_argument` error naming the size needed.
   */
  sizeBytes?: number;
  /** Appended to the mkfs.ext4 command line (before the device). */
  extraArgs?: readonly string[];
}

export interface TreeSize {
  /** Bytes of data and directory blocks, each rounded up to 4 KiB. */
  blockBytes: number;
  /** Distinct inodes (hardlinks counted once). */
  inodes: number;
}

const BLOCK = 4096;
const INODE_SIZE = 256;
const MIB = 1024 * 1024;

/** Walks the tree without following symlinks and adds up what ext4 will need. */
export async function measureTree(root: string): Promise<TreeSize> {
  const seen = new Set<number>();
  let blockBytes = 0;
  const roundUp = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const st = await lstat(path);
      if (seen.has(st.ino)) continue;
      seen.add(st.ino);
      if (st.isDirectory()) {
        blockBytes += roundUp(Math.max(st.size, BLOCK));
        await visit(path);
      } else if (st.isSymbolicLink()) {
        if (st.size > 59) blockBytes += BLOCK; // shorter targets live inside the inode
      } else {
        blockBytes += roundUp(st.size);
      }
    }
  };
  await visit(root);
  return { blockBytes: blockBytes + BLOCK, inodes: seen.size + 1 };
}

/** mke2fs's default journal size for a filesystem of `blocks` 4 KiB blocks. */
function journalBytes(blocks: number): number {
  if (blocks < 32768) return 4 * MIB;
  if (blocks < 256 * 1024) return 16 * MIB;
  if (blocks < 512 * 1024) return 32 * MIB;
  if (blocks < 4096 * 1024) return 64 * MIB;
  if (blocks < 8192 * 1024) return 128 * MIB;
  return 256 * MIB;
}

/** The image size and inode count for a measured tree, with headroom. */
export function ext4Geometry(size: TreeSize, options: Ext4Options = {}): { bytes: number; inodes: number } {
  const ratio = options.headroomRatio ?? 0.1;
  const extra = options.headroomBytes ?? 64 * MIB;
  const inodes = Math.ceil(size.inodes * (1 + ratio)) + 1024;
  const content = size.blockBytes + inodes * INODE_SIZE;
  // Group descriptors, bitmaps and reserved GDT blocks: about 1/256 of the filesystem, plus slack.
  const base = content * (1 + ratio) + extra + content / 256;
  const bytes = Math.ceil((base + journalBytes(base / BLOCK)) / MIB) * MIB;
  return { bytes, inodes };
}

function isOutOfSpace(err: unknown): boolean {
  return err instanceof CommandError && /no space|could not allocate|not enough space/i.test(err.stderrTail);
}

/**
 * Builds `output` as an ext4 filesystem holding `root`'s contents with
 * `mkfs.ext4 -d`, sized from the tree (sparse file). When the estimate was
 * too small, retries with a larger file twice before giving up.
 * `rootOwner` is the image's `/` owner (mkfs would otherwise copy ours).
 */
export async function buildExt4(options: {
  root: string;
  output: string;
  runner: Runner;
  rootOwner: { uid: number; gid: number };
  ext4?: Ext4Options;
  signal?: AbortSignal;
}): Promise<{ bytes: number }> {
  const size = await measureTree(options.root);
  let { bytes, inodes } = ext4Geometry(size, options.ext4);
  const fixed = options.ext4?.sizeBytes;
  if (fixed !== undefined) {
    if (fixed < bytes) {
      throw new AppError(
        'invalid_argument',
        `the content needs an ext4 image of at least ${Math.ceil(bytes / MIB)} MiB, more than the ${Math.floor(fixed / MIB)} MiB asked for; choose a larger size`,
      );
    }
    bytes = fixed;
  }
  for (let attempt = 0; ; attempt++) {
    await rm(options.output, { force: true });
    const handle = await open(options.output, 'wx', 0o600);
    await handle.truncate(bytes);
    await handle.close();
    const argv = [
      'mkfs.ext4',
      '-q',
      '-F',
      '-b',
      String(BLOCK),
      '-I',
      String(INODE_SIZE),
      ...(fixed === undefined ? ['-N', String(inodes)] : []),
      '-m',
      '0',
      '-L',
      options.ext4?.label ?? 'rootfs',
      '-E',
      `root_owner=${options.rootOwner.uid}:${options.rootOwner.gid}`,
      '-d',
      options.root,
      ...(options.ext4?.extraArgs ?? []),
      options.output,
    ];
    try {
      await options.runner.run(argv, { signal: options.signal });
      return { bytes };
    } catch (err) {
      if (!isOutOfSpace(err) || attempt >= 2 || fixed !== undefined) throw err;
      bytes = Math.ceil((bytes * 1.5) / MIB) * MIB;
      inodes = Math.ceil(inodes * 1.5);
    }
  }
}
