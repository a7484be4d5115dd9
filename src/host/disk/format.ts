import { open } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';
import { formatSize } from '../../domain/size.js';
import type { Runner } from '../runner.js';

/** The smallest disk banger makes: below this ext4's own metadata and journal leave no room. */
const MIN_DISK_BYTES = 16 * 1024 * 1024;

/** Refuses sizes that are not a whole number of bytes or below MIN_DISK_BYTES. */
export function checkDiskBytes(bytes: number, what: string): void {
  if (!Number.isSafeInteger(bytes) || bytes < MIN_DISK_BYTES) {
    throw new AppError(
      'invalid_argument',
      `${what} ${Number.isFinite(bytes) ? formatSize(bytes) : String(bytes)} is too small; use at least ${formatSize(MIN_DISK_BYTES)}`,
    );
  }
}

/**
 * Creates `path` (must not exist, mode 0600) as a sparse file of `bytes` and
 * formats it ext4 with 4 KiB blocks, root directory owned 0:0. Inode tables
 * and the journal are left unwritten: the file's holes already read as
 * zeros, so the result stays sparse (a few MiB allocated for 8 GiB).
 */
export async function formatExt4(
  runner: Runner,
  o: { path: string; bytes: number; label: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const handle = await open(o.path, 'wx', 0o600);
  try {
    await handle.truncate(o.bytes);
  } finally {
    await handle.close();
  }
  await runner.run(
    [
      'mkfs.ext4',
      '-q',
      '-F',
      '-b',
      '4096',
      '-m',
      '0',
      '-L',
      o.label,
      '-E',
      'root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1',
      o.path,
    ],
    o.signal ? { signal: o.signal } : {},
  );
}
