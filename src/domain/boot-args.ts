import { AppError } from './errors.js';
import { tryParseIpv4 } from './network.js';
import { VM_NAME_RE } from './vm.js';

/**
 * What every banger guest gets on its kernel command line, before the boot
 * contract: the serial console (captured in console.log), `reboot=k` and
 * `panic=1` so a guest reboot or a kernel panic ends the Firecracker process
 * (the daemon sees the exit) instead of hanging, and `pci=off` because
 * Firecracker's x86 microVMs have no PCI bus (its devices are found through
 * ACPI), so probing it only costs boot time.
 */
export const BASE_KERNEL_ARGS = ['console=ttyS0', 'reboot=k', 'panic=1', 'pci=off'] as const;

/**
 * Firecracker's limit for the x86_64 kernel command line, in bytes,
 * including the terminating NUL (arch CMDLINE_MAX_SIZE, enforced by
 * linux-loader's Cmdline) and what Firecracker appends at InstanceStart.
 */
export const KERNEL_CMDLINE_MAX = 2048;

/** The virtio devices every banger VM has: the rootfs, system and work drives, eth0 and vsock. */
export const BANGER_VIRTIO_DEVICES = 5;

/** What Firecracker adds to a command line at InstanceStart, for firecrackerCmdlineBytes(). */
export interface FirecrackerAdditions {
  /** The root drive, when one is configured: Firecracker appends `root=/dev/vda` (or `root=PARTUUID=...`) and `ro`/`rw`. */
  root?: { partuuid?: string; readOnly: boolean };
  /** Virtio devices (drives, network interfaces, vsock, entropy, balloon): one `virtio_mmio.device=` each. */
  virtioDevices: number;
}

/** Firecracker's first virtio MMIO IRQ on x86_64; each device takes the next one. */
const FIRST_VIRTIO_IRQ = 5;

const byteLength = (s: string): number => new TextEncoder().encode(s).length;

/**
 * The bytes `line` takes in guest memory on Firecracker: the line, the NUL,
 * and each argument Firecracker inserts (with its separating space):
 * `pci=off` (1.13+, counted for every version), `root=/dev/vda` and `ro`/`rw`
 * for a root drive, and `virtio_mmio.device=4K@0x<8 hex digits>:<irq>` per
 * virtio device, IRQs from 5. Firecracker refuses InstanceStart when this is
 * over KERNEL_CMDLINE_MAX.
 */
export function firecrackerCmdlineBytes(line: string, devices: FirecrackerAdditions): number {
  const added = ['pci=off'];
  if (devices.root) {
    added.push(devices.root.partuuid ? `root=PARTUUID=${devices.root.partuuid}` : 'root=/dev/vda');
    added.push(devices.root.readOnly ? 'ro' : 'rw');
  }
  for (let i = 0; i < devices.virtioDevices; i++) {
    added.push(`virtio_mmio.device=4K@0x00000000:${FIRST_VIRTIO_IRQ + i}`);
  }
  return byteLength(line.trim()) + 1 + added.reduce((sum, arg) => sum + 1 + arg.length, 0);
}

/**
 * Throws AppError('invalid_argument') when `line` would not fit Firecracker's
 * limit once Firecracker's own arguments are added (firecrackerCmdlineBytes).
 */
export function checkKernelCmdline(line: string, devices: FirecrackerAdditions): void {
  const bytes = firecrackerCmdlineBytes(line, devices);
  if (bytes > KERNEL_CMDLINE_MAX) {
    throw bad(
      `the kernel command line would be ${bytes} bytes with what Firecracker appends (pci=off, root=, one virtio_mmio.device= per device, the NUL); Firecracker allows ${KERNEL_CMDLINE_MAX}`,
    );
  }
}

export interface BootArgsOptions {
  /** The guest's eth0 address with prefix, "a.b.c.d/p". */
  address: string;
  gateway: string;
  /** Resolvers for /etc/resolv.conf; may be empty. */
  dns: string[];
  /** The VM name, which becomes the guest's hostname. */
  hostname: string;
  /** Boot with the image rootfs read-write as `/` instead of the overlay (banger.root=persistent). */
  persistentRoot?: boolean;
  /** More kernel arguments, appended as given (one word of printable ASCII each). */
  extra?: string[];
  /** Virtio devices the VM gets (default BANGER_VIRTIO_DEVICES); each adds to Firecracker's command line. */
  virtioDevices?: number;
}

function bad(message: string): AppError {
  return new AppError('invalid_argument', message);
}

function checkIpv4(what: string, text: string): string {
  if (tryParseIpv4(text) === undefined) throw bad(`${what} "${text}" is not an IPv4 address`);
  return text;
}

/**
 * The full kernel command line for a banger guest: BASE_KERNEL_ARGS, then the
 * banger initramfs boot contract (src/host/images/initramfs/init-script.ts):
 * banger.root=, banger.ip=, banger.gw=, banger.dns=, banger.hostname=, then
 * `extra`. Pure. Throws AppError('invalid_argument') for a value that is
 * malformed or would split into several arguments, or a line that would not
 * fit Firecracker's KERNEL_CMDLINE_MAX once Firecracker appends its own
 * arguments (checkKernelCmdline: the read-only root drive and
 * `virtioDevices` devices). Firecracker's `root=/dev/vda ro` is not used by
 * the initramfs.
 */
export function bootArgs(o: BootArgsOptions): string {
  const slash = o.address.indexOf('/');
  const prefix = Number(o.address.slice(slash + 1));
  if (slash < 0 || !/^\d{1,2}$/.test(o.address.slice(slash + 1)) || prefix < 1 || prefix > 32) {
    throw bad(`guest address "${o.address}" must be ADDR/PREFIX, e.g. 172.16.0.2/24`);
  }
  checkIpv4('guest address', o.address.slice(0, slash));
  checkIpv4('gateway', o.gateway);
  for (const server of o.dns) checkIpv4('DNS server', server);
  if (!VM_NAME_RE.test(o.hostname)) throw bad(`hostname "${o.hostname}" is not a valid VM name`);
  const extra = o.extra ?? [];
  for (const arg of extra) {
    if (!/^[!-~]+$/.test(arg)) {
      throw bad(`kernel argument ${JSON.stringify(arg)} must be one word of printable ASCII`);
    }
  }
  const args = [
    ...BASE_KERNEL_ARGS,
    `banger.root=${o.persistentRoot ? 'persistent' : 'overlay'}`,
    `banger.ip=${o.address}`,
    `banger.gw=${o.gateway}`,
    ...(o.dns.length > 0 ? [`banger.dns=${o.dns.join(',')}`] : []),
    `banger.hostname=${o.hostname}`,
    ...extra,
  ];
  const line = args.join(' ');
  checkKernelCmdline(line, {
    // Stryker disable next-line BooleanLiteral: `ro` and `rw` are both 2 bytes, so the count is the same
    root: { readOnly: true },
    virtioDevices: o.virtioDevices ?? BANGER_VIRTIO_DEVICES,
  });
  return line;
}
