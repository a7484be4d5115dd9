import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { buildInitramfs } from '../initramfs/build-initramfs.js';
import { extractDeb, findKernelTree, type KernelTree } from './kernel-tree.js';
import { KERNEL_MANIFEST, type KernelManifest, type KernelSource } from './manifest.js';
import type { ProgressFn } from './progress.js';
import { fsyncDir } from './verified-download.js';
import { extractVmlinux } from './vmlinux.js';

/** What to build a kernel set from. */
type KernelSetInput =
  /** A linux-image .deb (already verified); `origin` is recorded in kernel.json. */
  | { kind: 'deb'; deb: string; origin?: Omit<Extract<KernelSource, { kind: 'deb' }>, 'kind'> }
  /** An image root directory containing boot/vmlinuz-<ver> and lib/modules/<ver>. */
  | { kind: 'rootfs'; root: string; version?: string };

export interface BuildKernelSetOptions {
  runner: Runner;
  input: KernelSetInput;
  /** The kernel set directory to create; must not exist yet. */
  dest: string;
  busyboxPath?: string;
  onProgress?: ProgressFn;
}

const TEMP_MARK = '.kernel-tmp-';

/**
 * Builds a kernel set: `vmlinux` (uncompressed ELF with the PVH note),
 * banger's `initrd.img` for that kernel, `modules/` (the kernel's
 * /lib/modules/<ver> tree) and `kernel.json`.
 *
 * Contract: everything is built in a temp dir next to `dest` and renamed
 * into place in one step, so `dest` either does not exist or is complete;
 * the temp dir is removed on failure, and `removeStaleKernelTemps` clears
 * what a crash left behind.
 */
export async function buildKernelSet(opts: BuildKernelSetOptions): Promise<KernelManifest> {
  const parent = dirname(opts.dest);
  if (await stat(opts.dest).catch(() => undefined)) {
    throw new AppError('conflict', `${opts.dest} already exists; delete that kernel set first`);
  }
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `${TEMP_MARK}${basename(opts.dest)}-`));
  const progress = (message: string) => opts.onProgress?.({ stage: 'kernel', message });
  try {
    const set = join(tmp, 'set');
    await mkdir(set);
    const tree = await locateKernel(opts, tmp, progress);
    progress(`extracting vmlinux from ${basename(tree.vmlinuz)}`);
    const vmlinux = await extractVmlinux({
      runner: opts.runner,
      vmlinuz: tree.vmlinuz,
      dest: join(set, 'vmlinux'),
      requirePvh: true,
    });
    progress(
      `vmlinux: ${vmlinux.compression}-compressed payload, ${(vmlinux.size / 1e6).toFixed(1)} MB ELF with PVH entry`,
    );
    const modules = join(set, 'modules');
    if (opts.input.kind === 'deb') {
      await rename(tree.modulesDir, modules);
    } else {
      progress(`copying modules of ${tree.version}`);
      await opts.runner.run(['cp', '-a', '--', `${tree.modulesDir}/.`, `${modules}/`], {
        timeoutMs: 300_000,
      });
    }
    const initrd = await buildInitramfs({
      runner: opts.runner,
      modulesDir: modules,
      kernelVersion: tree.version,
      dest: join(set, 'initrd.img'),
      ...(opts.busyboxPath ? { busyboxPath: opts.busyboxPath } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    const manifest: KernelManifest = {
      schemaVersion: 1,
      version: tree.version,
      vmlinux: {
        sha256: vmlinux.sha256,
        size: vmlinux.size,
        compression: vmlinux.compression,
        pvhEntry: vmlinux.pvhEntry ?? 0,
      },
      initrd: { sha256: initrd.sha256, size: initrd.size, modules: initrd.modules, builtin: initrd.builtin },
      source:
        opts.input.kind === 'deb'
          ? { kind: 'deb', ...opts.input.origin }
          : { kind: 'rootfs', root: opts.input.root },
      createdAt: new Date().toISOString(),
    };
    await writeFile(join(set, KERNEL_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncDir(set);
    try {
      await rename(set, opts.dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new AppError('conflict', `${opts.dest} was created by someone else meanwhile; use that one`);
      }
      throw err;
    }
    await fsyncDir(parent);
    progress(`kernel set ${tree.version} ready in ${opts.dest}`);
    return manifest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function locateKernel(
  opts: BuildKernelSetOptions,
  tmp: string,
  progress: (message: string) => void,
): Promise<KernelTree> {
  if (opts.input.kind === 'rootfs') return findKernelTree(opts.input.root, opts.input.version);
  const unpacked = join(tmp, 'unpacked');
  await mkdir(unpacked);
  progress(`unpacking ${basename(opts.input.deb)}`);
  await extractDeb(opts.runner, opts.input.deb, unpacked);
  return findKernelTree(unpacked);
}

/** Removes temp dirs left in `parent` by interrupted builds; call on daemon start. */
export async function removeStaleKernelTemps(parent: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(TEMP_MARK));
  for (const name of stale) await rm(join(parent, name), { recursive: true, force: true });
  return stale;
}
