import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobCache } from './blob-cache.js';

/** The prefix of pullImage's build directories inside `workDir`. */
export const PULL_DIR_PREFIX = 'oci-pull-';

/**
 * Removes what an interrupted pull leaves behind (the daemon was killed):
 * build directories in `workDir` and partial downloads in the blob cache.
 * Call it on daemon start, before any pull runs. Complete blobs are kept.
 */
export async function cleanStalePulls(options: { cacheDir: string; workDir: string }): Promise<string[]> {
  let names: string[] = [];
  try {
    names = await readdir(options.workDir);
  } catch {
    // no work directory yet: nothing to clean
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(PULL_DIR_PREFIX))) {
    const path = join(options.workDir, name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  await new BlobCache(options.cacheDir).cleanTemp();
  return removed;
}
