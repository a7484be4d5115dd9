import { chmod, stat, truncate } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';
import { formatSize } from '../../domain/size.js';
import { runDebugfs } from '../ext4/debugfs.js';
import { readExt4Size } from '../ext4/geometry.js';
import type { Runner } from '../runner.js';
import { buildAtomically } from './atomic-file.js';
import type { Ext4FileEntry } from './ext4-entries.js';
import { checkDiskBytes, formatExt4 } from './format.js';
import { writeFilesIntoExt4 } from './write-files.js';

/**
 * Checks an unmounted image with `e2fsck -f -p` (preen: replays the journal
 * and fixes only what is safe to fix unattended), as resize2fs requires.
 * Anything preen will not fix is left alone, so the user's data is never
 * "repaired" away silently: AppError operation_failed with the command to run.
 */
async function checkFilesystem(runner: Runner, image: string, what: string, signal?: AbortSignal) {
  const result = await runner.run(['e2fsck', '-f', '-p', image], {
    check: false,
    ...(signal ? { signal } : {}),
  });
  // 0: clean, 1: errors fixed, 2: fixed, reboot advised (meaningless for a file). Higher: not fixed.
  if (result.exitCode > 2 || result.exitCode < 0) {
    const last = `${result.stdout}\n${result.stderr}`.trim().split('\n').at(-1) ?? '';
    throw new AppError(
      'operation_failed',
      `${what} has filesystem errors that need a manual check (run: e2fsck -f ${image})${last ? `: ${last}` : ''}`,
      {
        details: {
          exitCode: result.exitCode,
          stdout: result.stdout.slice(-2000),
          stderr: result.stderr.slice(-2000),
        },
      },
    );
  }
}

/** Grows the (checked, unmounted) filesystem in `image` to fill `bytes`, extending the file first. */
async function growTo(runner: Runner, image: string, bytes: number, blockSize: number, signal?: AbortSignal) {
  if ((await stat(image)).size < bytes) await truncate(image, bytes);
  await runner.run(['resize2fs', image, String(Math.floor(bytes / blockSize))], signal ? { signal } : {});
}

/**
 * Creates the VM's work disk (vdc, the guest's `/root`) at `path`.
 *
 * With `seed`: a sparse copy of the image's work seed (reflinked when the
 * host filesystem supports it), checked with e2fsck and grown with resize2fs
 * to `bytes`; the seed's files, owners and modes are kept. A size smaller
 * than the seed's filesystem is refused with AppError invalid_argument.
 * Without: a fresh sparse ext4 whose root directory is 0700, owned 0:0.
 * Then `files` are written into it (writeFilesIntoExt4; see
 * planWorkDiskFiles), still before the disk takes its name.
 *
 * Atomic: built as `<path>.tmp-*` and renamed; nothing is left on failure,
 * and an existing `path` is never replaced (AppError conflict).
 */
export async function createWorkDisk(
  runner: Runner,
  o: {
    path: string;
    bytes: number;
    seed?: string | undefined;
    files?: readonly Ext4FileEntry[] | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<void> {
  const { path, bytes, seed, signal } = o;
  checkDiskBytes(bytes, 'disk size');
  const seedSize = seed === undefined ? undefined : await readExt4Size(runner, seed, signal);
  if (seedSize && bytes < seedSize.bytes) {
    throw new AppError(
      'invalid_argument',
      `disk size ${formatSize(bytes)} is smaller than the image's work seed (${formatSize(seedSize.bytes)}); use --disk-size ${formatSize(Math.ceil(seedSize.bytes / 2 ** 20) * 2 ** 20)} or more`,
    );
  }
  await buildAtomically(path, async (tmp) => {
    if (seed === undefined || seedSize === undefined) {
      await formatExt4(runner, { path: tmp, bytes, label: 'work', signal });
      await runDebugfs({
        runner,
        image: tmp,
        commands: ['set_inode_field / mode 040700'],
        purpose: 'set the root directory mode of',
        ...(signal ? { signal } : {}),
      });
    } else {
      await runner.run(['cp', '--sparse=always', '--reflink=auto', seed, tmp], signal ? { signal } : {});
      await chmod(tmp, 0o600);
      await checkFilesystem(runner, tmp, `the work seed ${seed}`, signal);
      await growTo(runner, tmp, bytes, seedSize.blockSize, signal);
    }
    if (o.files?.length) await writeFilesIntoExt4(runner, tmp, o.files, signal);
  });
}

/**
 * Grows the work disk at `path` to `bytes` (`vm set --disk-size`). The VM
 * must be stopped: the image is checked with e2fsck and resized offline.
 * Growing only: a size smaller than the current filesystem is refused with
 * AppError invalid_argument; the same size is a no-op. Not atomic, but
 * resize2fs only commits the new size once the grown metadata is in place.
 */
export async function growWorkDisk(
  runner: Runner,
  path: string,
  bytes: number,
  signal?: AbortSignal,
): Promise<void> {
  checkDiskBytes(bytes, 'disk size');
  const now = await readExt4Size(runner, path, signal);
  const blocks = Math.floor(bytes / now.blockSize);
  if (blocks < now.blockCount) {
    throw new AppError(
      'invalid_argument',
      `the work disk is ${formatSize(now.bytes)} and can only grow; use a --disk-size of ${formatSize(now.bytes)} or more`,
    );
  }
  if (blocks === now.blockCount) return;
  await checkFilesystem(runner, path, `the work disk ${path}`, signal);
  await growTo(runner, path, bytes, now.blockSize, signal);
}
