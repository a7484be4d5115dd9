// How a Firecracker configuration maps onto a QEMU command line. Pure, so the
// mapping is unit-tested without starting QEMU.
//
//   Firecracker                          QEMU 7.2
//   x86_64 microVM, ACPI (>= 1.8)        -M microvm,...,acpi=on (devices found through ACPI, not the cmdline)
//   kernel_image_path (ELF vmlinux)      -kernel: QEMU boots an ELF with a Xen PVH note directly
//   initrd_path / boot_args              -initrd / -append (+ pci=off and root= as Firecracker adds them, + TSC hints under TCG)
//   vcpu_count / mem_size_mib            -smp / -m
//   drives, in Firecracker's order       -drive if=none,readonly=... + -device virtio-blk-device
//   cache_type Unsafe / Writeback        cache=unsafe / cache=writeback
//   network-interfaces                   -netdev tap,ifname=<host_dev_name> + -device virtio-net-device,mac=
//   entropy                              -device virtio-rng-device
//   vsock                                no vhost-vsock on these hosts: a virtio-serial port `banger.vsock`
//                                        on a socketpair, carrying the connections in frames (vsock.ts)
//   serial to stdout or serial_out_path  -serial chardev: stdio, or a file opened in append mode
//   i8042 (SendCtrlAltDel, reboot=k)     -device i8042: described in the DSDT as PNP0303/PNP0F13, as Firecracker >= 1.8 does
//   guest reboot ends the VMM            -no-reboot (a reset becomes a shutdown) + qemu.ts quits on it
//   guest power-off leaves it running    -no-shutdown: QEMU stays, the VM stopped (vCPUs halted)
import type { Accel } from './accel.js';
import type { Resources } from './resources.js';

const MICROVM =
  'microvm,x-option-roms=off,pit=off,pic=off,isa-serial=on,rtc=on,acpi=on,auto-kernel-cmdline=off';

export interface QemuPlan {
  accel: Accel;
  /** Host TSC in kHz; added to the kernel command line under TCG. */
  tscKhz: number | undefined;
  /** File descriptor (in QEMU) of a connected socket carrying QMP. */
  qmpFd: number;
  /** File descriptor (in QEMU) of a connected socket for the vsock emulation; set when a vsock is configured. */
  vsockFd?: number;
}

/** QEMU option values escape a comma by doubling it. */
export function qemuEscape(value: string): string {
  return value.replaceAll(',', ',,');
}

/** The kernel command line QEMU passes: Firecracker's (without its MMIO device list), plus TSC hints when emulated. */
export function guestCmdline(resources: Resources, plan: Pick<QemuPlan, 'accel' | 'tscKhz'>): string {
  const line = resources.guestCmdline();
  if (plan.accel === 'tcg') {
    // Inserted as boot arguments, so they stay before a ` -- ` that starts init's arguments.
    if (plan.tscKhz !== undefined && !/(^|\s)tsc_early_khz=/.test(line.bootArgs))
      line.insert(`tsc_early_khz=${plan.tscKhz}`);
    if (!/(^|\s)tsc=/.test(line.bootArgs)) line.insert('tsc=reliable');
  }
  return line.toString();
}

export function qemuArgs(resources: Resources, plan: QemuPlan): string[] {
  const boot = resources.bootSource;
  if (!boot) throw new Error('qemuArgs needs a boot source'); // the state machine checks this first
  const m = resources.machine;
  const args = ['-M', MICROVM, '-accel', plan.accel, '-cpu', plan.accel === 'kvm' ? 'host' : 'max'];
  args.push('-smp', String(m.vcpu_count), '-m', `${m.mem_size_mib}M`);
  // -no-reboot -no-shutdown: a guest reboot or power-off stops the VM; qemu.ts decides whether QEMU ends.
  // -S: the guest stays paused until the stand-in has QMP and says `cont`.
  args.push('-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-no-shutdown', '-S');
  args.push('-chardev', `socket,id=qmp,fd=${plan.qmpFd}`, '-mon', 'chardev=qmp,mode=control');
  // Firecracker's PS/2 controller: SendCtrlAltDel arrives through it, and a reboot=k guest resets through it.
  args.push('-device', 'i8042');
  const serialPath = resources.serial?.serial_out_path;
  args.push(
    '-chardev',
    serialPath ? `file,id=serial0,path=${qemuEscape(serialPath)},append=on` : 'stdio,id=serial0,signal=off',
    '-serial',
    'chardev:serial0',
  );
  args.push('-kernel', boot.kernel_image_path);
  if (boot.initrd_path !== undefined) args.push('-initrd', boot.initrd_path);
  args.push('-append', guestCmdline(resources, plan));
  resources.drives.forEach((d, i) => {
    const opts = [
      `id=drive${i}`,
      'if=none',
      'format=raw',
      `file=${qemuEscape(d.path_on_host ?? '')}`,
      `readonly=${d.is_read_only ? 'on' : 'off'}`,
      `cache=${d.cache_type === 'Writeback' ? 'writeback' : 'unsafe'}`,
    ];
    args.push('-drive', opts.join(','), '-device', `virtio-blk-device,drive=drive${i}`);
  });
  resources.nets.forEach((n, i) => {
    args.push('-netdev', `tap,id=net${i},ifname=${qemuEscape(n.host_dev_name)},script=no,downscript=no`);
    const dev = [`virtio-net-device`, `netdev=net${i}`];
    if (n.guest_mac) dev.push(`mac=${n.guest_mac}`);
    if (n.mtu !== undefined) dev.push(`host_mtu=${n.mtu}`);
    args.push('-device', dev.join(','));
  });
  if (resources.vsock && plan.vsockFd !== undefined) {
    // Firecracker's vsock is one virtio-mmio device; so is this one, so the guest sees as many devices.
    args.push(
      '-chardev',
      `socket,id=vsock0,fd=${plan.vsockFd}`,
      '-device',
      'virtio-serial-device,max_ports=2',
      '-device',
      'virtserialport,chardev=vsock0,name=banger.vsock,nr=1',
    );
  }
  if (resources.entropy) {
    args.push('-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-device,rng=rng0');
  }
  return args;
}
