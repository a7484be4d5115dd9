import { AppError } from '../../../domain/errors.js';
import { debugfsQuote } from '../../ext4/debugfs.js';
import { debugfsScript } from '../../ext4/debugfs-script.js';
import type { Owner } from './root-tree.js';

/**
 * How the image's owners get into the ext4 image. `mkfs.ext4 -d` copies
 * owner, mode and mtime from the source tree, so:
 *
 * - `chown` (the daemon runs as root): files are lchown'd while extracting
 *   and mkfs copies them as they are. Only the root directory's mode needs
 *   a fix-up, because mkfs does not copy it.
 * - `debugfs` (unprivileged): an unprivileged process cannot chown, so the
 *   tree stays owned by the daemon user (files kept owner-readable,
 *   directories owner-writable so extraction and mkfs can work), and after
 *   mkfs one `debugfs -w -f <script>` run rewrites uid, gid and, where it
 *   differs, the mode of every inode from the recorded owners. Nothing is
 *   mounted and no privilege is needed. Limits: device nodes cannot be
 *   created unprivileged (they are skipped in both modes), and file names
 *   containing a newline, or so long that a debugfs command line for them
 *   would exceed its 8 KiB buffer, cannot be expressed in a debugfs script.
 *
 * Extended attributes (e.g. file capabilities) are not carried over in
 * either mode.
 */
export type OwnershipMode = 'chown' | 'debugfs';

export function defaultOwnershipMode(): OwnershipMode {
  return process.geteuid?.() === 0 ? 'chown' : 'debugfs';
}

const TYPE_BITS: Record<Owner['kind'], number> = { file: 0o100000, dir: 0o040000, symlink: 0o120000 };

/** The permission bits the extracted tree has on disk for a recorded owner in the given mode. */
export function diskMode(owner: Owner, mode: OwnershipMode): number {
  if (owner.kind === 'symlink') return 0o777;
  if (mode === 'chown') return owner.mode;
  return owner.kind === 'dir' ? owner.mode | 0o700 : owner.mode | 0o400;
}

function quote(key: string): string {
  if (/[\n\r]/.test(key)) {
    throw new AppError(
      'operation_failed',
      `the image has a file name with a line break ("${key.replace(/[\n\r]/g, '\\n')}"), which the unprivileged ext4 build cannot express; run the daemon as root to pull this image`,
    );
  }
  return debugfsQuote(`/${key}`);
}

/**
 * Layer names are the image author's: one long enough (quotes count twice)
 * would make debugfs cut its command line and run the rest as a command of
 * its own, so such an image is refused before debugfs starts.
 */
function checkLines(lines: string[]): string[] {
  try {
    debugfsScript(lines);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    throw new AppError(
      'operation_failed',
      `the image has a file name the unprivileged ext4 build cannot express: ${err.message.replace(/; shorten it$/, '')}; run the daemon as root to pull this image`,
      { cause: err, ...(err.details ? { details: err.details } : {}) },
    );
  }
  return lines;
}

function octal(n: number): string {
  return `0${n.toString(8)}`;
}

/**
 * The debugfs commands that make the ext4 image match `owners`. The root
 * directory always gets its mode from the image (mkfs uses 0755); its owner
 * comes from `mkfs -E root_owner`.
 */
export function ownershipScript(owners: ReadonlyMap<string, Owner>, mode: OwnershipMode): string[] {
  const lines: string[] = [];
  for (const [key, owner] of owners) {
    const path = quote(key);
    const full = TYPE_BITS[owner.kind] | owner.mode;
    if (key === '') {
      if (owner.mode !== 0o755) lines.push(`set_inode_field ${path} mode ${octal(full)}`);
      continue;
    }
    if (mode === 'chown') continue;
    lines.push(`set_inode_field ${path} uid ${owner.uid}`, `set_inode_field ${path} gid ${owner.gid}`);
    if (diskMode(owner, mode) !== owner.mode && owner.kind !== 'symlink') {
      lines.push(`set_inode_field ${path} mode ${octal(full)}`);
    }
  }
  return checkLines(lines);
}
