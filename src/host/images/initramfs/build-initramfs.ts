import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import type { ProgressFn } from '../kernel/progress.js';
import { fsyncDir } from '../kernel/verified-download.js';
import { agentBinaryPath } from './agent-binary.js';
import { findStaticBusybox } from './busybox.js';
import { INIT_SCRIPT } from './init-script.js';
import { type LoadPlan, type ModuleRequest, planModuleLoad } from './load-order.js';
import { indexModuleTree, moduleVermagic, treeLookup } from './module-tree.js';
import { type CpioEntry, writeNewc } from './newc.js';

/**
 * The modules the boot contract needs before `/` exists: virtio transport and
 * disks/network, ext4 for all three disks, overlay for `/`, and the virtio
 * vsock transport, which stays loaded after switch_root because a pulled
 * image carries no modules of its own (the guest agent talks over vsock).
 * Everything else loads later from the image's own modules, if it has any.
 */
export const BOOT_MODULES: readonly ModuleRequest[] = [
  { name: 'virtio', required: true },
  { name: 'virtio_ring', required: true },
  { name: 'virtio_mmio', required: true },
  { name: 'virtio_blk', required: true },
  { name: 'virtio_net', required: true },
  { name: 'ext4', required: true },
  { name: 'overlay', required: true },
  // ext4 and jbd2 look up the crc32c algorithm at mount time; without
  // modprobe config in the initramfs it must already be loaded.
  { name: 'crc32c_generic', required: false },
  // Optional: a kernel may have vsock built in, or none (then the VM simply has no vsock).
  { name: 'vmw_vsock_virtio_transport', required: false },
  // No PCI on Firecracker or QEMU microvm; harmless, and lets a PCI machine boot too.
  { name: 'virtio_pci', required: false },
  // virtio-serial: the test stand-in carries vsock over a serial port (tools/README.md); unused on Firecracker.
  { name: 'virtio_console', required: false },
];

export interface InitramfsResult {
  path: string;
  sha256: string;
  size: number;
  kernelVersion: string;
  /** Modules in the archive, in load order. */
  modules: string[];
  builtin: string[];
  skipped: string[];
}

export interface BuildInitramfsOptions {
  runner: Runner;
  /** The kernel's `/lib/modules/<version>` tree. */
  modulesDir: string;
  /**
   * The kernel release (`uname -r`). Defaults to the modules' vermagic; when
   * given, every module's vermagic must match it.
   */
  kernelVersion?: string;
  /** Output `initrd.img`: written to a temp file, fsynced and renamed. */
  dest: string;
  /** Defaults to the busybox-static package's binary. */
  busyboxPath?: string;
  /** banger's guest agent; defaults to the one built into dist/guest/ (agent-binary.ts). */
  agentPath?: string;
  modules?: readonly ModuleRequest[];
  onProgress?: ProgressFn;
}

/**
 * Builds banger's initramfs for one kernel: a gzip-compressed newc cpio,
 * every entry owned by 0:0, containing busybox-static with its applet
 * links, banger's guest agent, the boot modules (decompressed, in dependency order) and `/init`
 * (see init-script.ts). The output depends only on its inputs.
 */
export async function buildInitramfs(opts: BuildInitramfsOptions): Promise<InitramfsResult> {
  opts.onProgress?.({ stage: 'initramfs', message: `resolving boot modules in ${opts.modulesDir}` });
  const busybox = await findStaticBusybox(opts.runner, opts.busyboxPath);
  const agent = await readFile(opts.agentPath ?? agentBinaryPath());
  const tree = await indexModuleTree(opts.modulesDir);
  const plan = await planModuleLoad(opts.modules ?? BOOT_MODULES, treeLookup(opts.runner, tree));
  const kernelVersion = checkKernelVersion(plan, opts.kernelVersion, opts.modulesDir);

  const archive = writeNewc(initramfsEntries(kernelVersion, busybox.data, busybox.applets, plan, agent));
  const gz = gzipSync(archive, { level: 9 });
  await writeAtomically(opts.dest, gz);
  opts.onProgress?.({
    stage: 'initramfs',
    message: `initramfs ${(gz.length / 1024).toFixed(0)} KiB: ${plan.load.map((m) => m.name).join(', ')}`,
  });
  return {
    path: opts.dest,
    sha256: createHash('sha256').update(gz).digest('hex'),
    size: gz.length,
    kernelVersion,
    modules: plan.load.map((m) => m.name),
    builtin: plan.builtin,
    skipped: plan.skipped,
  };
}

/** The kernel release the modules were built for, cross-checked against `expected`. */
function checkKernelVersion(
  plan: LoadPlan<Buffer>,
  expected: string | undefined,
  modulesDir: string,
): string {
  let version = expected;
  for (const m of plan.load) {
    const magic = moduleVermagic(m.payload);
    if (magic === undefined) continue;
    version ??= magic;
    if (magic !== version) {
      throw new AppError(
        'invalid_argument',
        `module ${m.name} in ${modulesDir} was built for kernel ${magic}, not ${version}; use the modules that belong to this kernel`,
      );
    }
  }
  if (version === undefined) {
    throw new AppError(
      'invalid_argument',
      `cannot tell the kernel version of ${modulesDir}; pass kernelVersion`,
    );
  }
  return version;
}

/** The archive's entries, parents before children (sorted by path). */
export function initramfsEntries(
  kernelVersion: string,
  busybox: Buffer,
  applets: readonly string[],
  plan: LoadPlan<Buffer>,
  agent: Buffer,
): CpioEntry[] {
  const entries = new Map<string, CpioEntry>();
  const put = (entry: CpioEntry) => {
    const parts = entry.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!entries.has(dir)) entries.set(dir, { type: 'dir', path: dir });
    }
    entries.set(entry.path, entry);
  };
  for (const dir of ['dev', 'proc', 'sys', 'newroot', 'lower', 'system', 'run', 'tmp'])
    put({ type: 'dir', path: dir });
  put({ type: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
  put({ type: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });
  put({ type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  for (const applet of applets) {
    if (applet === 'bin/busybox' || applet === 'init' || applet === 'linuxrc') continue;
    put({ type: 'symlink', path: applet, target: '/bin/busybox' });
  }
  put({ type: 'file', path: 'init', data: Buffer.from(INIT_SCRIPT), mode: 0o755 });
  put({ type: 'file', path: 'bin/banger-agent', data: agent, mode: 0o755 });
  put({ type: 'file', path: 'etc/banger/kernel-version', data: Buffer.from(`${kernelVersion}\n`) });
  const list = plan.load
    .map((m) => `${m.name} ${m.relPath} ${m.required ? 'required' : 'optional'}\n`)
    .join('');
  put({ type: 'file', path: 'etc/banger/modules', data: Buffer.from(list) });
  for (const m of plan.load) {
    put({ type: 'file', path: `lib/modules/${kernelVersion}/${m.relPath}`, data: m.payload });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function writeAtomically(dest: string, data: Buffer): Promise<void> {
  const tmp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(dest));
}
