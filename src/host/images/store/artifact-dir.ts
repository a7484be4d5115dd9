import { mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { fsyncDir } from '../kernel/verified-download.js';

/** Prefix of the staging directories images are assembled in (inside the state dir's tmp/). */
export const STAGING_PREFIX = 'image-staging-';

/**
 * A fresh private staging directory for one image inside `tmpDir`, which is
 * on the same filesystem as the image store so the result can be renamed.
 */
export async function createStagingDir(tmpDir: string, name: string): Promise<string> {
  await mkdir(tmpDir, { recursive: true, mode: 0o700 });
  return mkdtemp(join(tmpDir, `${STAGING_PREFIX}${name}-`));
}

/** fsyncs a regular file's data and metadata. */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a finished staging directory the image directory `final` in one
 * rename: its files and the directory are fsynced first and the parent after,
 * so after a crash `final` either does not exist or is complete.
 * AppError('conflict') when `final` exists already.
 */
export async function commitStagingDir(staging: string, final: string, parent: string): Promise<void> {
  await fsyncShallow(staging, 2);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  if (await stat(final).catch(() => undefined)) {
    throw new AppError('conflict', `${final} already exists; remove it or pick another name`);
  }
  await rename(staging, final);
  await fsyncDir(parent);
}

/**
 * Copies a file keeping it sparse (disk images are mostly holes), then fsyncs
 * it. Goes through the runner: `cp --sparse=always` does what Node's copyFile cannot.
 */
export async function copySparse(
  runner: Runner,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<void> {
  await runner.run(['cp', '--sparse=always', '--reflink=auto', '--', from, to], {
    timeoutMs: 3_600_000,
    ...(signal ? { signal } : {}),
  });
  await fsyncFile(to);
}

/** Copies a directory tree (kernel modules) with modes and links kept. */
export async function copyTree(
  runner: Runner,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<void> {
  await runner.run(['cp', '-a', '--', from, to], { timeoutMs: 600_000, ...(signal ? { signal } : {}) });
}

/** fsyncs the files and directories of `dir` down to `depth` levels (disk images and kernel files, not module trees). */
async function fsyncShallow(dir: string, depth: number): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile()) await fsyncFile(path);
    else if (entry.isDirectory() && depth > 1) await fsyncShallow(path, depth - 1);
  }
  await fsyncDir(dir);
}

/** Removes staging directories a killed daemon left in `tmpDir`; call on daemon start. */
export async function removeStaleStaging(tmpDir: string): Promise<string[]> {
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(STAGING_PREFIX)).map((n) => join(tmpDir, n));
  for (const path of stale) await rm(path, { recursive: true, force: true });
  return stale;
}
