import { readFile } from 'node:fs/promises';
import type { Runner } from '../../../src/host/runner.js';

/** The machine the Firecracker stand-in uses: ACPI microvm, devices found through ACPI, as Firecracker >= 1.8. */
const MACHINE =
  'microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=on,auto-kernel-cmdline=off';

export interface BootResult {
  console: string;
  exitCode: number;
  ms: number;
}

/** Host TSC frequency in kHz: microvm under TCG needs `tsc_early_khz=` to calibrate. */
export async function hostTscKhz(): Promise<number> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1]);
  if (!Number.isFinite(mhz) || mhz <= 0)
    throw new Error('cannot read the host CPU frequency from /proc/cpuinfo');
  return Math.round(mhz * 1000);
}

/**
 * Boots `vmlinux` + `initrd` under QEMU TCG with the given disks as
 * virtio-blk devices in order (vda, vdb, ...) and user-mode networking
 * (no host network changes). Returns when the guest reboots or powers off
 * (-no-reboot), or when `timeoutMs` passes (then the runner kills QEMU).
 */
export async function bootQemu(
  runner: Runner,
  opts: {
    vmlinux: string;
    initrd: string;
    disks: { file: string; readOnly?: boolean }[];
    append: string;
    timeoutMs: number;
  },
): Promise<BootResult> {
  const argv = [
    'qemu-system-x86_64',
    '-M',
    MACHINE,
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    '256',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    '-serial',
    'stdio',
    '-kernel',
    opts.vmlinux,
    '-initrd',
    opts.initrd,
    '-append',
    opts.append,
    '-netdev',
    'user,id=net0,restrict=on',
    '-device',
    'virtio-net-device,netdev=net0,mac=06:00:ac:10:00:02',
  ];
  opts.disks.forEach((disk, i) => {
    argv.push(
      '-drive',
      `id=d${i},file=${disk.file},format=raw,if=none${disk.readOnly ? ',readonly=on' : ''}`,
    );
    argv.push('-device', `virtio-blk-device,drive=d${i}`);
  });
  const started = Date.now();
  const result = await runner.run(argv, { timeoutMs: opts.timeoutMs, check: false });
  return { console: result.stdout + result.stderr, exitCode: result.exitCode, ms: Date.now() - started };
}
