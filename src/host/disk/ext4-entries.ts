import { access, constants, lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.js';

interface EntryBase {
  /** Absolute path inside the ext4 filesystem, e.g. `/.ssh/authorized_keys`; no `.`, `..` or `//`. */
  path: string;
  uid: number;
  gid: number;
  /**
   * Mode of directories this entry creates: missing parents of `path` and,
   * for a copied tree, every directory in it including `path`. Default 0700.
   * Existing directories on the way keep their mode and owner.
   */
  dirMode?: number;
}

/**
 * One thing to put into an ext4 image (see writeFilesIntoExt4):
 * - `dir`: a directory with `mode` (an existing one gets its mode and owner set);
 * - `content`: a file holding `content`, with `mode`;
 * - `copy`: the host file or directory `source` (a symlink as `source` is
 *   followed). A file gets exactly `mode`. A directory is copied recursively:
 *   its directories get `dirMode`, its files `mode` plus execute permission
 *   wherever `mode` grants read when the host file is executable by its
 *   owner (so scripts stay runnable), its symlinks are copied as symlinks
 *   (target unchanged), and special files (devices, FIFOs, sockets) are skipped.
 * Existing files and symlinks at a target path are replaced; an existing
 * directory is never replaced by a file, nor a file by a directory.
 */
export type Ext4FileEntry = EntryBase &
  (
    | { kind: 'dir'; mode: number }
    | { kind: 'content'; content: Buffer; mode: number }
    | { kind: 'copy'; source: string; mode: number }
  );

/** One inode to create, in order (parents before children). */
export type Ext4Op =
  | { kind: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { kind: 'file'; path: string; mode: number; uid: number; gid: number; from: string | Buffer }
  | { kind: 'symlink'; path: string; target: string; uid: number; gid: number };

function refuse(entry: { path: string }, why: string): AppError {
  return new AppError('invalid_argument', `cannot write ${JSON.stringify(entry.path)} into the disk: ${why}`);
}

/** Splits a path inside the filesystem into components; refuses anything that is not plain and absolute. */
export function pathComponents(path: string): string[] {
  if (!path.startsWith('/')) throw refuse({ path }, 'the path must be absolute');
  if (/[\n\r\0]/.test(path)) throw refuse({ path }, 'the path contains a line break or NUL');
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') {
      throw refuse({ path }, 'the path must not contain empty, "." or ".." components');
    }
  }
  return parts;
}

/** "/a/b" → ["/a"]; "/a" → []; the root itself is never listed. */
export function parentPaths(path: string): string[] {
  const parts = pathComponents(path);
  return parts.slice(0, -1).map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
}

function checkNumbers(entry: Ext4FileEntry): void {
  const modes = [entry.mode, entry.dirMode ?? 0o700];
  if (modes.some((m) => !Number.isInteger(m) || m < 0 || m > 0o7777)) {
    throw refuse(entry, 'modes must be permission bits between 0 and 07777');
  }
  if (![entry.uid, entry.gid].every((n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32)) {
    throw refuse(entry, 'uid and gid must be whole numbers');
  }
}

function hostError(entry: Ext4FileEntry, hostPath: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'is not readable by the daemon'
        : `cannot be read (${code ?? String(err)})`;
  return refuse(entry, `the host path ${hostPath} ${why}`);
}

/** Read bits of `mode` copied into the execute bits (0644 → 0111). */
function executeBitsFor(mode: number): number {
  return (mode & 0o444) >> 2;
}

/**
 * Turns one entry into the inodes to create, reading host sources (never
 * writing anything). Refuses with AppError invalid_argument, naming the
 * entry, bad paths, modes and owners, missing or unreadable host paths,
 * and host names a debugfs script cannot express (line breaks).
 */
export async function expandEntry(entry: Ext4FileEntry): Promise<Ext4Op[]> {
  const parts = pathComponents(entry.path);
  checkNumbers(entry);
  const { uid, gid } = entry;
  const dirMode = entry.dirMode ?? 0o700;
  if (parts.length === 0 && entry.kind !== 'dir') throw refuse(entry, 'only a directory can be written at /');
  if (entry.kind === 'dir') return [{ kind: 'dir', path: entry.path, mode: entry.mode, uid, gid }];
  if (entry.kind === 'content') {
    return [{ kind: 'file', path: entry.path, mode: entry.mode, uid, gid, from: entry.content }];
  }
  let top: Awaited<ReturnType<typeof stat>>;
  try {
    top = await stat(entry.source);
  } catch (err) {
    throw hostError(entry, entry.source, err);
  }
  // debugfs reads sources only when it writes, so an unreadable file must be caught here, before any write.
  const readable = (hostPath: string) =>
    access(hostPath, constants.R_OK).catch((err: unknown) => {
      throw hostError(entry, hostPath, err);
    });
  if (top.isFile()) {
    await readable(entry.source);
    return [{ kind: 'file', path: entry.path, mode: entry.mode, uid, gid, from: entry.source }];
  }
  if (!top.isDirectory())
    throw refuse(entry, `the host path ${entry.source} is not a regular file or directory`);

  const ops: Ext4Op[] = [{ kind: 'dir', path: entry.path, mode: dirMode, uid, gid }];
  const visit = async (hostDir: string, guestDir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(hostDir)).sort();
    } catch (err) {
      throw hostError(entry, hostDir, err);
    }
    for (const name of names) {
      const hostPath = join(hostDir, name);
      if (/[\n\r]/.test(name))
        throw refuse(entry, `the host file name ${JSON.stringify(hostPath)} contains a line break`);
      const path = `${guestDir}/${name}`;
      let st: Awaited<ReturnType<typeof lstat>>;
      try {
        st = await lstat(hostPath);
      } catch (err) {
        throw hostError(entry, hostPath, err);
      }
      if (st.isDirectory()) {
        ops.push({ kind: 'dir', path, mode: dirMode, uid, gid });
        await visit(hostPath, path);
      } else if (st.isFile()) {
        await readable(hostPath);
        const mode = st.mode & 0o100 ? entry.mode | executeBitsFor(entry.mode) : entry.mode;
        ops.push({ kind: 'file', path, mode, uid, gid, from: hostPath });
      } else if (st.isSymbolicLink()) {
        const target = await readlink(hostPath).catch((err: unknown) => {
          throw hostError(entry, hostPath, err);
        });
        if (/[\n\r]/.test(target))
          throw refuse(entry, `the symlink ${hostPath} has a line break in its target`);
        ops.push({ kind: 'symlink', path, target, uid, gid });
      }
      // Devices, FIFOs and sockets are skipped: they are not files to sync.
    }
  };
  await visit(entry.source, entry.path);
  return ops;
}
