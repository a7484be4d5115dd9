import { chmod, stat, truncate } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';

/**
 * Checks an unmounted image with `e2fsck -f -p` (preen: replays the journal
 * and fixes only what is safe to fix unattended), as resize2fs requires.
 * Anything preen will not fix is left alone, so the user's data is never
 * "repaired" away silently: AppError operation_failed with the command to run.
 */
export async function checkFilesystem(runner: Runner, image: string, what: string, signal?: AbortSignal) {
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
export async function growTo(
  runner: Runner,
  image: string,
  bytes: number,
  blockSize: number,
  signal?: AbortSignal,
) {
  if ((await stat(image)).size < bytes) await truncate(image, bytes);
  await runner.run(['resize2fs', image, String(Math.floor(bytes / blockSize))], signal ? { signal } : {});
}

/**
 * Copies the work seed `seed` (an ext4 image of `blockSize` blocks) to
 * `dest`, sparse and reflinked where the host filesystem can, mode 0600;
 * checks the copy and grows it to `bytes`. The seed is only read.
 */
export async function prepareSeedCopy(
  runner: Runner,
  o: { seed: string; dest: string; bytes: number; blockSize: number; signal?: AbortSignal | undefined },
): Promise<void> {
  const { signal } = o;
  await runner.run(['cp', '--sparse=always', '--reflink=auto', o.seed, o.dest], signal ? { signal } : {});
  await chmod(o.dest, 0o600);
  await checkFilesystem(runner, o.dest, `the work seed ${o.seed}`, signal);
  await growTo(runner, o.dest, o.bytes, o.blockSize, signal);
}
