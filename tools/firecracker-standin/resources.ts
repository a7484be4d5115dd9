// The microVM's configured resources and Firecracker's rules for changing
// them (vmm_config/*.rs): machine-config validation, drive ordering (the root
// device is always first, so it becomes /dev/vda), unique MACs and TAPs, and
// the GET /vm/config view.
import { type BootDevices, buildBootCmdline, type Cmdline } from './cmdline.js';
import { Fault, msg } from './faults.js';

export interface MachineConfig {
  vcpu_count: number;
  mem_size_mib: number;
  smt: boolean;
  track_dirty_pages: boolean;
  huge_pages: string;
  cpu_template?: string;
}

export interface BootSource {
  kernel_image_path: string;
  initrd_path?: string;
  boot_args?: string;
}

export interface DriveConfig {
  drive_id: string;
  is_root_device: boolean;
  path_on_host?: string;
  partuuid?: string;
  is_read_only?: boolean;
  cache_type?: string;
  io_engine?: string;
  rate_limiter?: unknown;
  socket?: string;
}

export interface NetConfig {
  iface_id: string;
  host_dev_name: string;
  guest_mac?: string;
  mtu?: number;
  rx_rate_limiter?: unknown;
  tx_rate_limiter?: unknown;
}

export interface VsockConfig {
  guest_cid: number;
  uds_path: string;
}

export interface SerialConfig {
  serial_out_path?: string;
}

/** Firecracker's boot arguments when `boot_args` is not given (vmm_config/boot_source.rs, x86_64). */
export const DEFAULT_KERNEL_CMDLINE =
  'reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce';

const MAX_VCPUS = 32;

export class Resources {
  machine: MachineConfig = {
    vcpu_count: 1,
    mem_size_mib: 128,
    smt: false,
    track_dirty_pages: false,
    huge_pages: 'None',
  };
  bootSource: BootSource | undefined;
  /** In Firecracker's order: a root device first, then the others as inserted. */
  drives: DriveConfig[] = [];
  nets: NetConfig[] = [];
  vsock: VsockConfig | undefined;
  serial: SerialConfig | undefined;
  entropy: Record<string, unknown> | undefined;

  /** Applies a machine-config update (PUT passes every field, PATCH only some); all-or-nothing. */
  updateMachine(update: Partial<MachineConfig>): void {
    const next: MachineConfig = { ...this.machine };
    for (const [key, value] of Object.entries(update)) {
      if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
    }
    if (update.cpu_template === 'None') delete next.cpu_template;
    const odd = next.vcpu_count % 2 === 1;
    if (next.vcpu_count === 0 || next.vcpu_count > MAX_VCPUS || (next.smt && next.vcpu_count > 1 && odd)) {
      throw new Fault(msg.vcpuCount);
    }
    if (next.mem_size_mib === 0 || (next.huge_pages === '2M' && next.mem_size_mib % 2 !== 0)) {
      throw new Fault(msg.memSize);
    }
    this.machine = next;
  }

  /** Inserts or replaces a drive, keeping the root device first (vmm_config/drive.rs BlockBuilder::insert). */
  putDrive(cfg: DriveConfig): void {
    const index = this.drives.findIndex((d) => d.drive_id === cfg.drive_id);
    const hasRoot = this.drives[0]?.is_root_device === true;
    if (cfg.is_root_device && hasRoot && index !== 0) throw new Fault(msg.rootExists);
    if (index === -1) {
      if (cfg.is_root_device) this.drives.unshift(cfg);
      else this.drives.push(cfg);
      return;
    }
    this.drives[index] = cfg;
    if (index !== 0 && cfg.is_root_device) {
      const first = this.drives[0];
      if (first) {
        this.drives[0] = cfg;
        this.drives[index] = first;
      }
    }
  }

  /** PATCH /drives: only `path_on_host` and `rate_limiter` change. */
  patchDrive(update: { drive_id: string; path_on_host?: string; rate_limiter?: unknown }): DriveConfig {
    const drive = this.drives.find((d) => d.drive_id === update.drive_id);
    if (!drive) throw new Fault(msg.driveUnknown(update.drive_id));
    if (update.path_on_host !== undefined) drive.path_on_host = update.path_on_host;
    if (update.rate_limiter !== undefined) drive.rate_limiter = update.rate_limiter;
    return drive;
  }

  /** Inserts or replaces a network interface; MACs and TAP names must be unique across interfaces. */
  putNet(cfg: NetConfig): void {
    // Linux interface names are at most 15 bytes; a longer one must not be truncated into another TAP.
    if (cfg.host_dev_name === '' || Buffer.byteLength(cfg.host_dev_name) > 15) throw new Fault(msg.tapName);
    const others = this.nets.filter((n) => n.iface_id !== cfg.iface_id);
    const mac = cfg.guest_mac?.toLowerCase();
    if (mac && others.some((n) => n.guest_mac?.toLowerCase() === mac))
      throw new Fault(msg.macInUse(cfg.guest_mac ?? ''));
    if (others.some((n) => n.host_dev_name === cfg.host_dev_name))
      throw new Fault(msg.tapInUse(cfg.host_dev_name));
    const index = this.nets.findIndex((n) => n.iface_id === cfg.iface_id);
    if (index === -1) this.nets.push(cfg);
    else this.nets[index] = cfg;
  }

  patchNet(update: { iface_id: string; rx_rate_limiter?: unknown; tx_rate_limiter?: unknown }): void {
    const net = this.nets.find((n) => n.iface_id === update.iface_id);
    if (!net) throw new Fault(msg.netUnknown(update.iface_id));
    if (update.rx_rate_limiter !== undefined) net.rx_rate_limiter = update.rx_rate_limiter;
    if (update.tx_rate_limiter !== undefined) net.tx_rate_limiter = update.tx_rate_limiter;
  }

  /** What Firecracker adds to the command line at InstanceStart: the root drive and its virtio devices. */
  bootDevices(): BootDevices {
    const root = this.drives[0]?.is_root_device ? this.drives[0] : undefined;
    return {
      root: root ? { partuuid: root.partuuid, readOnly: root.is_read_only === true } : undefined,
      virtio: this.drives.length + this.nets.length + (this.vsock ? 1 : 0) + (this.entropy ? 1 : 0),
    };
  }

  /**
   * The kernel command line Firecracker boots with: `boot_args` (or its
   * default) plus what it appends at InstanceStart (cmdline.ts). Throws the
   * Fault Firecracker answers InstanceStart with when it does not fit.
   */
  firecrackerCmdline(): string {
    const args = this.bootSource?.boot_args ?? DEFAULT_KERNEL_CMDLINE;
    return buildBootCmdline(args, this.bootDevices(), { mmioArgs: true }).toString();
  }

  /**
   * The same line for the QEMU guest, without the `virtio_mmio.device=`
   * arguments (QEMU's microvm puts its devices elsewhere and describes them
   * through ACPI) and without a size limit (the stand-in adds TSC hints).
   */
  guestCmdline(): Cmdline {
    const args = this.bootSource?.boot_args ?? DEFAULT_KERNEL_CMDLINE;
    return buildBootCmdline(args, this.bootDevices(), {
      mmioArgs: false,
      capacity: Number.POSITIVE_INFINITY,
    });
  }

  machineView(): Record<string, unknown> {
    const { cpu_template, ...rest } = this.machine;
    return cpu_template ? { ...rest, cpu_template } : rest;
  }

  /** GET /vm/config, shaped like Firecracker's VmmConfig serialization (unset sections are null). */
  exportConfig(): Record<string, unknown> {
    return {
      balloon: null,
      drives: this.drives.map((d) => ({
        drive_id: d.drive_id,
        partuuid: d.partuuid ?? null,
        is_root_device: d.is_root_device,
        cache_type: d.cache_type ?? 'Unsafe',
        is_read_only: d.is_read_only ?? false,
        path_on_host: d.path_on_host ?? null,
        rate_limiter: d.rate_limiter ?? null,
        io_engine: d.io_engine ?? 'Sync',
        socket: d.socket ?? null,
      })),
      'boot-source': this.bootSource
        ? {
            kernel_image_path: this.bootSource.kernel_image_path,
            initrd_path: this.bootSource.initrd_path ?? null,
            ...(this.bootSource.boot_args === undefined ? {} : { boot_args: this.bootSource.boot_args }),
          }
        : null,
      'cpu-config': null,
      logger: null,
      'machine-config': this.machineView(),
      metrics: null,
      'mmds-config': null,
      'network-interfaces': this.nets.map((n) => ({
        iface_id: n.iface_id,
        host_dev_name: n.host_dev_name,
        guest_mac: n.guest_mac ?? null,
        ...(n.mtu === undefined ? {} : { mtu: n.mtu }),
        rx_rate_limiter: n.rx_rate_limiter ?? null,
        tx_rate_limiter: n.tx_rate_limiter ?? null,
      })),
      pmem: [],
      'memory-hotplug': null,
      vsock: this.vsock ? { guest_cid: this.vsock.guest_cid, uds_path: this.vsock.uds_path } : null,
      entropy: this.entropy ? { rate_limiter: this.entropy.rate_limiter ?? null } : null,
    };
  }
}
