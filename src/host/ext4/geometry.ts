import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';

/** The size of the filesystem inside an ext4 image (not of the file holding it). */
export interface Ext4Size {
  blockSize: number;
  blockCount: number;
  /** blockSize × blockCount. */
  bytes: number;
}

/**
 * Reads the superblock of an unmounted ext4 image with `dumpe2fs -h`.
 * Rejects with AppError operation_failed when the file is not ext4.
 */
export async function readExt4Size(runner: Runner, image: string, signal?: AbortSignal): Promise<Ext4Size> {
  const { stdout, exitCode, stderr } = await runner.run(['dumpe2fs', '-h', image], {
    check: false,
    ...(signal ? { signal } : {}),
  });
  const count = /^Block count:\s+(\d+)$/m.exec(stdout);
  const size = /^Block size:\s+(\d+)$/m.exec(stdout);
  if (exitCode !== 0 || !count || !size) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    throw new AppError(
      'operation_failed',
      `${image} is not a readable ext4 filesystem${last ? `: ${last}` : ''}`,
    );
  }
  const blockSize = Number(size[1]);
  const blockCount = Number(count[1]);
  return { blockSize, blockCount, bytes: blockSize * blockCount };
}
