import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleKernelTemps } from '../../../host/images/kernel/kernel-set.js';
import { cleanStalePulls } from '../../../host/images/oci/index.js';
import { removeStaleStaging, STAGING_PREFIX } from '../../../host/images/store/artifact-dir.js';
import { killProcessesUsing } from '../../../host/images/store/orphans.js';
import type { BangerPaths } from '../../../host/paths.js';
import type { ImageRepository } from '../../../store/image-repository.js';

/**
 * Removes what a killed daemon left behind, before any operation runs:
 * first the builders it started that outlived it (processes whose command
 * line names a staging dir), then image staging dirs and OCI pull dirs in tmp/, partial blob downloads,
 * kernel-set temp dirs, and directories in images/ that no managed image
 * record owns (a crash between the rename and the insert, or between a
 * delete's row and its files). Returns the paths removed, for the log.
 */
export async function cleanStaleArtifacts(
  paths: Pick<BangerPaths, 'tmpDir' | 'cacheDir' | 'kernelsDir' | 'imagesDir'>,
  images: ImageRepository,
): Promise<string[]> {
  const orphans = await killProcessesUsing(join(paths.tmpDir, STAGING_PREFIX));
  const removed = [
    ...orphans.map((pid) => `pid ${pid}`),
    ...(await removeStaleStaging(paths.tmpDir)),
    ...(await cleanStalePulls({ cacheDir: paths.cacheDir, workDir: paths.tmpDir })),
    ...(await removeStaleKernelTemps(paths.kernelsDir)).map((n) => join(paths.kernelsDir, n)),
  ];
  const owned = new Set(
    images
      .list()
      .filter((i) => i.managed)
      .map((i) => i.name),
  );
  const entries = await readdir(paths.imagesDir).catch(() => [] as string[]);
  for (const name of entries.filter((n) => !owned.has(n))) {
    const path = join(paths.imagesDir, name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
