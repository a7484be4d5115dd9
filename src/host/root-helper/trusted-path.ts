import { lstatSync, readlinkSync, realpathSync, type Stats, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

/**
 * Checks that only root can change what a path refers to: every directory
 * from / down is owned by root and writable by nobody else (a sticky,
 * world-writable directory such as /tmp is accepted on the way, since other
 * users cannot rename or remove root's entries in it), and the file itself
 * is owned by root and writable by nobody else. Symlinks are followed hop by
 * hop and each hop's directory is checked too. Returns the reason a path is
 * not trusted, or undefined when it is.
 */
export function untrustedReason(path: string, kind: 'file' | 'dir' = 'file'): string | undefined {
  let current = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    const dirReason = untrustedDir(realpathOrSelf(dirname(current)));
    if (dirReason) return dirReason;
    let st: Stats;
    try {
      st = lstatSync(current);
    } catch {
      return `${current} does not exist`;
    }
    if (st.isSymbolicLink()) {
      if (st.uid !== 0) return `${current} is a symlink not owned by root`;
      current = resolve(dirname(current), readlinkSync(current));
      continue;
    }
    if (kind === 'dir' ? !st.isDirectory() : !st.isFile()) return `${current} is not a ${kind}`;
    return ownerReason(current, st);
  }
  return `${path} has too many symlinks`;
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** `dir` must be a real path (no symlinks). */
function untrustedDir(dir: string): string | undefined {
  const parts = dir.split(sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const d = sep + parts.slice(0, i).join(sep);
    let st: Stats;
    try {
      st = statSync(d);
    } catch {
      return `${d} does not exist`;
    }
    if (!st.isDirectory()) return `${d} is not a directory`;
    const sticky = (st.mode & 0o1000) !== 0;
    if (st.uid !== 0) return `${d} is owned by uid ${st.uid}, not root`;
    if (!sticky && (st.mode & 0o002) !== 0) return `${d} is writable by every user`;
    if (!sticky && (st.mode & 0o020) !== 0 && st.gid !== 0) return `${d} is writable by group ${st.gid}`;
  }
  return undefined;
}

function ownerReason(path: string, st: Stats): string | undefined {
  if (st.uid !== 0) return `${path} is owned by uid ${st.uid}, not root`;
  if ((st.mode & 0o002) !== 0) return `${path} is writable by every user`;
  if ((st.mode & 0o020) !== 0 && st.gid !== 0) return `${path} is writable by group ${st.gid}`;
  return undefined;
}
