import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { type Ext4InodeKind, debugfsQuote as q, runDebugfs, statPaths } from '../ext4/debugfs.js';
import type { Runner } from '../runner.js';
import { type Ext4FileEntry, type Ext4Op, expandEntry, parentPaths } from './ext4-entries.js';

export type { Ext4FileEntry } from './ext4-entries.js';

const TYPE = { dir: 0o040000, file: 0o100000 } as const;

function conflict(path: string, why: string): AppError {
  return new AppError('invalid_argument', `cannot write ${JSON.stringify(path)} into the disk: ${why}`);
}

function kindName(kind: Ext4InodeKind): string {
  return kind === 'symlink'
    ? 'a symlink'
    : kind === 'dir'
      ? 'a directory'
      : kind === 'file'
        ? 'a file'
        : 'a special file';
}

/**
 * Turns the ops into one debugfs script, checking each against what the
 * image holds (`existing`, updated as the script goes). Throws before
 * anything is written when an op would need to replace a directory, turn a
 * file into a directory, or write through a symlink. debugfs resolves a
 * bare "/x" argument of mkdir, write and symlink against its current
 * directory, so those commands always run after a `cd` into the parent,
 * with just the name.
 */
function script(
  ops: { op: Ext4Op; dirMode: number }[],
  existing: Map<string, Ext4InodeKind>,
  temp: (b: Buffer) => string,
) {
  const lines: string[] = [];
  const attrs = (path: string, uid: number, gid: number, mode?: number) => {
    if (mode !== undefined) lines.push(`set_inode_field ${q(path)} mode 0${mode.toString(8)}`);
    lines.push(`set_inode_field ${q(path)} uid ${uid}`, `set_inode_field ${q(path)} gid ${gid}`);
  };
  const ensureDir = (path: string, mode: number, uid: number, gid: number, setAttrs: boolean) => {
    const kind = existing.get(path);
    if (kind === undefined) {
      lines.push(`cd ${q(dirname(path))}`, `mkdir ${q(basename(path))}`);
      existing.set(path, 'dir');
      attrs(path, uid, gid, TYPE.dir | mode);
    } else if (kind !== 'dir') {
      throw conflict(
        path,
        `it exists in the disk as ${kindName(kind)}, not a directory${kind === 'symlink' ? '; refusing to write through it' : ''}`,
      );
    } else if (setAttrs) {
      attrs(path, uid, gid, TYPE.dir | mode);
    }
  };
  const replaceable = (path: string) => {
    const kind = existing.get(path);
    if (kind === 'dir')
      throw conflict(path, 'it exists in the disk as a directory and would have to be replaced by a file');
    if (kind !== undefined) lines.push(`rm ${q(path)}`);
  };
  for (const { op, dirMode } of ops) {
    for (const parent of parentPaths(op.path)) ensureDir(parent, dirMode, op.uid, op.gid, false);
    if (op.kind === 'dir') {
      if (op.path === '/') attrs('/', op.uid, op.gid, TYPE.dir | op.mode);
      else ensureDir(op.path, op.mode, op.uid, op.gid, true);
    } else if (op.kind === 'file') {
      replaceable(op.path);
      const from = typeof op.from === 'string' ? op.from : temp(op.from);
      lines.push(`cd ${q(dirname(op.path))}`, `write ${q(from)} ${q(basename(op.path))}`);
      existing.set(op.path, 'file');
      attrs(op.path, op.uid, op.gid, TYPE.file | op.mode);
    } else {
      replaceable(op.path);
      lines.push(`cd ${q(dirname(op.path))}`, `symlink ${q(basename(op.path))} ${q(op.target)}`);
      existing.set(op.path, 'symlink');
      attrs(op.path, op.uid, op.gid);
    }
  }
  return lines;
}

/** What `writeFilesIntoExt4` may be told besides the entries. */
export interface WriteFilesOptions {
  signal?: AbortSignal | undefined;
  /** debugfs commands that run first, in the same pass (a fresh disk's layout); `existing` must include what they make. */
  prelude?: readonly string[] | undefined;
  /**
   * What the image holds at `paths` (absent: does not exist), when the caller
   * knows it exactly: a disk it has just formatted, or a byte-for-byte copy of
   * one it already asked. By default one read-only debugfs pass asks.
   */
  existing?: ((paths: readonly string[]) => Promise<ReadonlyMap<string, Ext4InodeKind>>) | undefined;
}

/** Asks the image itself, in one read-only debugfs pass, what it holds at `paths`. */
export async function statKinds(
  runner: Runner,
  image: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Ext4InodeKind>> {
  const found = await statPaths(runner, image, paths, signal);
  return new Map([...found].map(([p, inode]) => [p, inode.kind] as const));
}

/** The entries of `tree` (a disk's whole content, known) at `paths`: what a fresh disk answers. */
export function knownKinds(
  tree: ReadonlyMap<string, Ext4InodeKind>,
  paths: readonly string[],
): Map<string, Ext4InodeKind> {
  const kinds = new Map<string, Ext4InodeKind>();
  for (const p of paths) {
    const kind = tree.get(p);
    if (kind !== undefined) kinds.set(p, kind);
  }
  return kinds;
}

/** The paths whose kind decides the script for `ops`: each target and its parents. */
function pathsToQuery(ops: readonly { op: Ext4Op }[]): string[] {
  const all = ops.flatMap(({ op }) => [...parentPaths(op.path), op.path]).filter((p) => p !== '/');
  return [...new Set(all)].sort();
}

/**
 * Writes `entries` into the unmounted ext4 image `image` without mounting it
 * (one read-only debugfs pass to see what exists unless `o.existing` knows,
 * then one `debugfs -w` script, after `o.prelude`), in order: a later entry
 * wins over an earlier one. Missing parent
 * directories are created (entry's `dirMode`, default 0700, owned by the
 * entry's uid/gid); existing files and symlinks are replaced. Everything is
 * validated first: a bad path (relative, `.`/`..`), an unreadable host
 * source, or a clash with what the image holds (a directory where a file
 * goes, a symlink or file where a directory is needed) rejects with AppError
 * invalid_argument naming the path, and nothing is written. Buffer contents
 * are staged in a private (0700) directory next to the image, removed after.
 */
export async function writeFilesIntoExt4(
  runner: Runner,
  image: string,
  entries: readonly Ext4FileEntry[],
  o: WriteFilesOptions = {},
): Promise<void> {
  const { signal } = o;
  const ops: { op: Ext4Op; dirMode: number }[] = [];
  for (const entry of entries) {
    for (const op of await expandEntry(entry)) ops.push({ op, dirMode: entry.dirMode ?? 0o700 });
  }
  const prelude = o.prelude ?? [];
  if (ops.length === 0 && prelude.length === 0) return;
  const queried = pathsToQuery(ops);
  const known = o.existing ? await o.existing(queried) : await statKinds(runner, image, queried, signal);
  const existing = new Map(known);
  let staging: string | undefined;
  try {
    const staged: [string, Buffer][] = [];
    const lines = script(ops, existing, (content) => {
      staging ??= join(dirname(image), `.${basename(image)}.files-${randomBytes(6).toString('hex')}`);
      const file = join(staging, String(staged.length));
      staged.push([file, content]);
      return file;
    });
    if (staging !== undefined) {
      await mkdir(staging, { mode: 0o700 });
      for (const [file, content] of staged) await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    }
    await runDebugfs({
      runner,
      image,
      commands: [...prelude, ...lines],
      purpose: 'write files into',
      ...(signal ? { signal } : {}),
    });
  } finally {
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
  }
}
