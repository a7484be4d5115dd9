import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { compareDebianVersions } from './packages-index.js';
import { resolveInRoot } from './root-path.js';

/** Where a kernel lives inside a root directory (an extracted .deb or an image rootfs). */
export interface KernelTree {
  version: string;
  /** `<root>/boot/vmlinuz-<version>` */
  vmlinuz: string;
  /** `<root>/lib/modules/<version>` (or under usr/ on merged-/usr trees). */
  modulesDir: string;
}

/**
 * Finds `boot/vmlinuz-<ver>` with a matching `lib/modules/<ver>` under
 * `root`. With several kernels, `version` picks one; otherwise the highest
 * version wins. Paths resolve inside `root` (see resolveInRoot), so a
 * rootfs's `/lib -> /usr/lib` can never lead to the host's files.
 */
export async function findKernelTree(root: string, version?: string): Promise<KernelTree> {
  const boot = (await resolveInRoot(root, 'boot')) ?? join(root, 'boot');
  const images = (await readdir(boot).catch(() => [] as string[]))
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length));
  const candidates: KernelTree[] = [];
  for (const ver of images) {
    if (version !== undefined && ver !== version) continue;
    const modulesDir = await findModulesDir(root, ver);
    const vmlinuz = await resolveInRoot(root, `boot/vmlinuz-${ver}`);
    if (modulesDir && vmlinuz) candidates.push({ version: ver, vmlinuz, modulesDir });
  }
  candidates.sort((a, b) => compareDebianVersions(b.version, a.version));
  const found = candidates[0];
  if (!found) {
    const which = version === undefined ? '' : ` for version ${version}`;
    const seen = images.length > 0 ? ` (kernel images seen: ${images.join(', ')})` : '';
    throw new AppError(
      'not_found',
      `no kernel${which} in ${root}: expected boot/vmlinuz-<version> and lib/modules/<version>${seen}; install a kernel package (e.g. linux-image-cloud-amd64) in the image`,
    );
  }
  return found;
}

async function findModulesDir(root: string, version: string): Promise<string | undefined> {
  for (const base of ['usr/lib/modules', 'lib/modules']) {
    const dir = await resolveInRoot(root, `${base}/${version}`);
    if (dir === undefined) continue;
    const st = await stat(dir).catch(() => undefined);
    if (st?.isDirectory()) return dir;
  }
  return undefined;
}

/**
 * Unpacks a .deb's data into `dest` with `dpkg-deb -x` (dpkg is on every
 * Debian host; doctor checks it). `dest` must exist and should be empty.
 */
export async function extractDeb(runner: Runner, deb: string, dest: string): Promise<void> {
  try {
    await runner.run(['dpkg-deb', '-x', deb, dest], { timeoutMs: 300_000 });
  } catch (err) {
    if (err instanceof AppError && /could not be started/.test(err.message)) {
      throw new AppError('host_unsupported', 'dpkg-deb is not installed; install the dpkg package', {
        cause: err,
      });
    }
    throw err;
  }
}
