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

/** Firecracker's limit for the x86_64 kernel command line, in bytes. */
export const KERNEL_CMDLINE_MAX = 2048;

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
  /** More kernel arguments, appended as given (one token each, no whitespace). */
  extra?: string[];
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
 * malformed or would split into several arguments, or a line over
 * KERNEL_CMDLINE_MAX bytes. Firecracker appends `root=/dev/vda ro` itself for
 * the root drive; the initramfs does not use it.
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
    if (arg === '' || /\s/.test(arg)) throw bad(`kernel argument ${JSON.stringify(arg)} must be one word`);
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
  const bytes = new TextEncoder().encode(line).length;
  if (bytes > KERNEL_CMDLINE_MAX) {
    throw bad(`the kernel command line is ${bytes} bytes; Firecracker allows ${KERNEL_CMDLINE_MAX}`);
  }
  return line;
}
