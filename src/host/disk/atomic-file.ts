import { randomBytes } from 'node:crypto';
import { link, rm } from 'node:fs/promises';
import { AppError } from '../../domain/errors.js';

/**
 * Builds `path` atomically: `build` writes `<path>.tmp-<random>`, which then
 * takes the final name with link(2) + unlink, so an existing file at `path`
 * is never replaced (AppError conflict) and a reader never sees a half-built
 * disk. On any failure the temp file is removed and nothing is left behind.
 */
export async function buildAtomically(path: string, build: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await build(tmp);
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new AppError('conflict', `${path} already exists; delete it first or choose another VM`);
      }
      throw err;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}
