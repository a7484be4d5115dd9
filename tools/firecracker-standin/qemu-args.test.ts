import { describe, expect, it } from 'vitest';
import { guestCmdline, qemuArgs, qemuEscape } from './qemu-args.js';
import { Resources } from './resources.js';

function configured(): Resources {
  const r = new Resources();
  r.updateMachine({ vcpu_count: 2, mem_size_mib: 512 });
  r.bootSource = {
    kernel_image_path: '/k/vmlinux',
    initrd_path: '/k/initrd.img',
    boot_args: 'console=ttyS0',
  };
  r.putDrive({
    drive_id: 'work',
    is_root_device: false,
    path_on_host: '/vm/work,1.ext4',
    is_read_only: false,
    cache_type: 'Writeback',
  });
  r.putDrive({
    drive_id: 'rootfs',
    is_root_device: true,
    path_on_host: '/img/rootfs.ext4',
    is_read_only: true,
  });
  r.putNet({ iface_id: 'eth0', host_dev_name: 'tap-vm1', guest_mac: '06:00:AC:10:00:02', mtu: 1400 });
  return r;
}

/** The value following `flag` each time it appears. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('qemuArgs', () => {
  const args = qemuArgs(configured(), { accel: 'tcg', tscKhz: 2_000_000, qmpFd: 3 });

  it('builds an ACPI microvm with the configured size, paused until QMP says cont', () => {
    expect(values(args, '-M')[0]).toMatch(/^microvm,.*acpi=on/);
    expect(values(args, '-accel')).toEqual(['tcg']);
    expect(values(args, '-cpu')).toEqual(['max']);
    expect(values(args, '-smp')).toEqual(['2']);
    expect(values(args, '-m')).toEqual(['512M']);
    expect(args).toContain('-S');
    expect(args).toContain('-no-reboot');
    expect(args).toContain('-no-shutdown'); // a guest power-off leaves the VMM running, as on Firecracker
    expect(values(args, '-chardev')).toContain('socket,id=qmp,fd=3');
  });

  it("has Firecracker's PS/2 controller, which SendCtrlAltDel and a reboot=k reset go through", () => {
    expect(values(args, '-device')).toContain('i8042');
  });

  it("boots the ELF kernel directly with the initrd and Firecracker's command line plus TSC hints", () => {
    expect(values(args, '-kernel')).toEqual(['/k/vmlinux']);
    expect(values(args, '-initrd')).toEqual(['/k/initrd.img']);
    expect(values(args, '-append')).toEqual([
      'console=ttyS0 pci=off root=/dev/vda ro tsc_early_khz=2000000 tsc=reliable',
    ]);
  });

  it('attaches drives in Firecracker order with read-only and cache flags, escaping commas', () => {
    expect(values(args, '-drive')).toEqual([
      'id=drive0,if=none,format=raw,file=/img/rootfs.ext4,readonly=on,cache=unsafe',
      'id=drive1,if=none,format=raw,file=/vm/work,,1.ext4,readonly=off,cache=writeback',
    ]);
    expect(values(args, '-device').filter((d) => d.startsWith('virtio-blk'))).toEqual([
      'virtio-blk-device,drive=drive0',
      'virtio-blk-device,drive=drive1',
    ]);
  });

  it('attaches the TAP with the guest MAC and MTU', () => {
    expect(values(args, '-netdev')).toEqual(['tap,id=net0,ifname=tap-vm1,script=no,downscript=no']);
    expect(values(args, '-device')).toContain(
      'virtio-net-device,netdev=net0,mac=06:00:AC:10:00:02,host_mtu=1400',
    );
  });

  it('sends the console to stdout, or to serial_out_path when set', () => {
    expect(values(args, '-chardev')).toContain('stdio,id=serial0,signal=off');
    const r = configured();
    r.serial = { serial_out_path: '/vm/console.log' };
    expect(values(qemuArgs(r, { accel: 'tcg', tscKhz: 1, qmpFd: 3 }), '-chardev')).toContain(
      'file,id=serial0,path=/vm/console.log,append=on',
    );
  });

  it('uses -cpu host and no TSC hints under KVM, and keeps TSC options the user set', () => {
    const kvm = qemuArgs(configured(), { accel: 'kvm', tscKhz: undefined, qmpFd: 3 });
    expect(values(kvm, '-cpu')).toEqual(['host']);
    expect(values(kvm, '-append')).toEqual(['console=ttyS0 pci=off root=/dev/vda ro']);
    const r = configured();
    if (r.bootSource) r.bootSource.boot_args = 'console=ttyS0 tsc_early_khz=5 tsc=unstable';
    expect(guestCmdline(r, { accel: 'tcg', tscKhz: 9 })).toBe(
      'console=ttyS0 tsc_early_khz=5 tsc=unstable pci=off root=/dev/vda ro',
    );
    // Hints stay among the kernel's arguments when init's follow ` -- `.
    if (r.bootSource) r.bootSource.boot_args = 'console=ttyS0 -- single';
    expect(guestCmdline(r, { accel: 'tcg', tscKhz: 9 })).toBe(
      'console=ttyS0 pci=off root=/dev/vda ro tsc_early_khz=9 tsc=reliable -- single',
    );
  });

  it('adds a virtio-rng device for an entropy device, and nothing for vsock without its socketpair', () => {
    const r = configured();
    r.entropy = {};
    r.vsock = { guest_cid: 3, uds_path: '/vm/v.sock' };
    const a = qemuArgs(r, { accel: 'tcg', tscKhz: 1, qmpFd: 3 });
    expect(values(a, '-device')).toContain('virtio-rng-device,rng=rng0');
    expect(a.join(' ')).not.toMatch(/vsock|serial-device/);
  });

  it('gives a vsock one virtio-serial device with the banger.vsock port on the socketpair', () => {
    const r = configured();
    r.vsock = { guest_cid: 3, uds_path: '/vm/v.sock' };
    const a = qemuArgs(r, { accel: 'tcg', tscKhz: 1, qmpFd: 3, vsockFd: 4 });
    expect(values(a, '-chardev')).toContain('socket,id=vsock0,fd=4');
    expect(values(a, '-device')).toEqual(
      expect.arrayContaining([
        'virtio-serial-device,max_ports=2',
        'virtserialport,chardev=vsock0,name=banger.vsock,nr=1',
      ]),
    );
    // No vsock configured: nothing, socketpair or not.
    expect(qemuArgs(configured(), { accel: 'tcg', tscKhz: 1, qmpFd: 3, vsockFd: 4 }).join(' ')).not.toMatch(
      /vsock/,
    );
  });

  it('escapes commas in option values', () => {
    expect(qemuEscape('a,b,,c')).toBe('a,,b,,,,c');
  });
});
