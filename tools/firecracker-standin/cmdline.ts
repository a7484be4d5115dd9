// The kernel command line as Firecracker builds it: rust-vmm linux-loader's
// `Cmdline` (src/cmdline/mod.rs) with Firecracker's x86_64 capacity, and the
// arguments Firecracker adds at InstanceStart (vmm/src/builder.rs).
//
// - PUT /boot-source: `Cmdline::try_from(boot_args, 2048)` splits the text at
//   the first ` -- ` outside double quotes into boot and init arguments, trims
//   both, and checks only the size: boot + NUL (+ ` -- ` + init) <= 2048 bytes.
//   It does NOT check the characters: any UTF-8 is taken, counted in bytes.
// - InstanceStart (1.13+, MMIO transport): `pci=off`, then per drive in order
//   `root=/dev/vda` (or `root=PARTUUID=...`) and `ro`/`rw` for the root one and
//   one `virtio_mmio.device=4K@0x<addr>:<irq>` per virtio device (drives,
//   network interfaces, vsock, entropy). Each insert is checked to be printable
//   ASCII and to fit: line + " " + arg + NUL <= 2048 bytes. Firecracker's own
//   arguments are always ASCII, so in practice only the length can fail.
import { Fault, msg } from './faults.js';

/** arch::x86_64::layout::CMDLINE_MAX_SIZE: the capacity, including the terminating NUL. */
export const CMDLINE_MAX_SIZE = 2048;

const INIT_ARGS_SEPARATOR = ' -- ';

/** linux-loader's cmdline::Error Display texts for the errors the stand-in reproduces. */
export const CMDLINE_ERROR = {
  invalidCapacity: 'Invalid cmdline capacity provided.',
  invalidAscii: 'String contains a non-printable ASCII character.',
  tooLarge: 'Inserting string would make command line too long.',
} as const;

class CmdlineError extends Error {}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A command line being built, with linux-loader's size rules (sizes in UTF-8 bytes). */
export class Cmdline {
  private constructor(
    private boot: string,
    private readonly init: string,
    readonly capacity: number,
  ) {}

  /** linux-loader `Cmdline::try_from(raw, capacity)`; throws CmdlineError(invalidCapacity). */
  static tryFrom(raw: string, capacity = CMDLINE_MAX_SIZE): Cmdline {
    let boot = raw;
    let init = '';
    let from = 0;
    for (;;) {
      const at = raw.indexOf(INIT_ARGS_SEPARATOR, from);
      if (at < 0) break;
      const quotes = (raw.slice(0, at).match(/"/g) ?? []).length;
      if (quotes % 2 === 0) {
        boot = raw.slice(0, at);
        init = raw.slice(at + INIT_ARGS_SEPARATOR.length);
        break;
      }
      from = at + 1;
    }
    const line = new Cmdline(boot.trim(), init.trim(), capacity);
    if (line.size > capacity) throw new CmdlineError(CMDLINE_ERROR.invalidCapacity);
    return line;
  }

  /** Bytes the line takes in guest memory, with the terminating NUL. */
  get size(): number {
    const base = bytes(this.boot) + 1;
    return this.init ? base + INIT_ARGS_SEPARATOR.length + bytes(this.init) : base;
  }

  /** linux-loader `insert_str`: appends one boot argument; throws CmdlineError(invalidAscii | tooLarge). */
  insert(slug: string): void {
    const s = slug.trim();
    if (!/^[ -~]*$/.test(s)) throw new CmdlineError(CMDLINE_ERROR.invalidAscii);
    const needed = this.size + (this.boot ? 1 : 0) + bytes(s);
    if (needed > this.capacity) throw new CmdlineError(CMDLINE_ERROR.tooLarge);
    this.boot = this.boot ? `${this.boot} ${s}` : s;
  }

  /** The boot arguments only (what a `tsc=` check looks at). */
  get bootArgs(): string {
    return this.boot;
  }

  toString(): string {
    return this.init ? `${this.boot}${INIT_ARGS_SEPARATOR}${this.init}` : this.boot;
  }
}

/**
 * Where Firecracker puts its virtio MMIO devices on x86_64: 4 KiB slots from
 * the start of its 32-bit MMIO window, IRQs from 5 (the first two entries of
 * Firecracker's own builder tests are `4K@0xc0001000:5`, `4K@0xc0002000:6`;
 * 1.8 used 0xd0000000 up: the same length).
 */
const MMIO_FIRST_SLOT = 0xc000_1000;
const MMIO_SLOT_LEN = 0x1000;
const MMIO_FIRST_IRQ = 5;

/** The `virtio_mmio.device=` argument Firecracker adds for its `index`-th virtio device. */
export function virtioMmioArg(index: number): string {
  const addr = (MMIO_FIRST_SLOT + index * MMIO_SLOT_LEN).toString(16);
  return `virtio_mmio.device=4K@0x${addr}:${MMIO_FIRST_IRQ + index}`;
}

export interface BootDevices {
  /** The root drive, if one is configured (it is always the first drive). */
  root?: { partuuid?: string | undefined; readOnly: boolean } | undefined;
  /** How many virtio devices Firecracker attaches: drives + network interfaces + vsock + entropy. */
  virtio: number;
}

export interface BuildOptions {
  /** Add the `virtio_mmio.device=` arguments (Firecracker's line), or leave them out (QEMU's). */
  mmioArgs: boolean;
  capacity?: number;
}

/**
 * The command line Firecracker boots with, built in its order. Throws a Fault
 * worded like Firecracker's InstanceStart error when it does not fit.
 */
export function buildBootCmdline(bootArgs: string, devices: BootDevices, options: BuildOptions): Cmdline {
  let line: Cmdline;
  try {
    line = Cmdline.tryFrom(bootArgs, options.capacity ?? CMDLINE_MAX_SIZE);
  } catch (err) {
    // PUT /boot-source refused this already; reaching it here means the capacity changed.
    throw new Fault(msg.bootArgs(err instanceof Error ? err.message : String(err)));
  }
  const add = (arg: string, wrap: (why: string) => string) => {
    try {
      line.insert(arg);
    } catch (err) {
      throw new Fault(msg.startFailed(wrap(err instanceof Error ? err.message : String(err))));
    }
  };
  const kernelCmdline = (why: string) => `Invalid kernel command line: ${why}`;
  const attachDevice = (why: string) =>
    `Could not attach device: MMIO transport error: Failed to allocate requested resourc: ${why}`;
  add('pci=off', kernelCmdline);
  if (devices.root) {
    add(devices.root.partuuid ? `root=PARTUUID=${devices.root.partuuid}` : 'root=/dev/vda', kernelCmdline);
    add(devices.root.readOnly ? 'ro' : 'rw', kernelCmdline);
  }
  if (options.mmioArgs) {
    for (let i = 0; i < devices.virtio; i++) add(virtioMmioArg(i), attachDevice);
  }
  return line;
}
