import { describe, expect, it } from 'vitest';
import { Fault } from './faults.js';
import { DEFAULT_KERNEL_CMDLINE, Resources } from './resources.js';

describe('Resources', () => {
  it("starts with Firecracker's default machine (1 vCPU, 128 MiB)", () => {
    expect(new Resources().machineView()).toEqual({
      vcpu_count: 1,
      mem_size_mib: 128,
      smt: false,
      track_dirty_pages: false,
      huge_pages: 'None',
    });
  });

  it('enforces vCPU and memory rules all-or-nothing', () => {
    const r = new Resources();
    expect(() => r.updateMachine({ vcpu_count: 3, smt: true })).toThrow(Fault);
    expect(() => r.updateMachine({ mem_size_mib: 0 })).toThrow(/memory size/);
    expect(() => r.updateMachine({ mem_size_mib: 3, huge_pages: '2M' })).toThrow(/memory size/);
    expect(r.machine.vcpu_count).toBe(1);
    r.updateMachine({ vcpu_count: 4, smt: true });
    expect(r.machine).toMatchObject({ vcpu_count: 4, smt: true });
  });

  it('keeps the root drive first, whatever the insertion order', () => {
    const r = new Resources();
    r.putDrive({ drive_id: 'a', is_root_device: false, path_on_host: '/a' });
    r.putDrive({ drive_id: 'b', is_root_device: false, path_on_host: '/b' });
    r.putDrive({ drive_id: 'root', is_root_device: true, path_on_host: '/r' });
    expect(r.drives.map((d) => d.drive_id)).toEqual(['root', 'a', 'b']);
    expect(() => r.putDrive({ drive_id: 'c', is_root_device: true })).toThrow(
      'A root block device already exists!',
    );
    // Updating an existing drive into the root one moves it to the front.
    const r2 = new Resources();
    r2.putDrive({ drive_id: 'a', is_root_device: false });
    r2.putDrive({ drive_id: 'b', is_root_device: false });
    r2.putDrive({ drive_id: 'b', is_root_device: true });
    expect(r2.drives.map((d) => d.drive_id)).toEqual(['b', 'a']);
  });

  it('adds pci=off, root= and the MMIO device list to the command line as Firecracker does', () => {
    const r = new Resources();
    r.bootSource = { kernel_image_path: '/k' };
    expect(r.firecrackerCmdline()).toBe(`${DEFAULT_KERNEL_CMDLINE} pci=off`);
    r.bootSource.boot_args = 'console=ttyS0';
    r.putDrive({ drive_id: 'root', is_root_device: true, is_read_only: true });
    r.putDrive({ drive_id: 'data', is_root_device: false });
    r.putNet({ iface_id: 'eth0', host_dev_name: 'tap0' });
    r.vsock = { guest_cid: 3, uds_path: '/v.sock' };
    expect(r.firecrackerCmdline()).toBe(
      'console=ttyS0 pci=off root=/dev/vda ro virtio_mmio.device=4K@0xc0001000:5 virtio_mmio.device=4K@0xc0002000:6 virtio_mmio.device=4K@0xc0003000:7 virtio_mmio.device=4K@0xc0004000:8',
    );
    expect(r.guestCmdline().toString()).toBe('console=ttyS0 pci=off root=/dev/vda ro');
    r.putDrive({ drive_id: 'root', is_root_device: true, partuuid: 'abc' });
    expect(r.guestCmdline().toString()).toBe('console=ttyS0 pci=off root=PARTUUID=abc rw');
    r.bootSource.boot_args = 'x'.repeat(1900);
    expect(() => r.firecrackerCmdline()).toThrow(/Inserting string would make command line too long/);
  });

  it('refuses a guest MAC or TAP used by another interface, but allows replacing one', () => {
    const r = new Resources();
    r.putNet({ iface_id: 'eth0', host_dev_name: 'tap0', guest_mac: '06:00:00:00:00:01' });
    r.putNet({ iface_id: 'eth0', host_dev_name: 'tap0', guest_mac: '06:00:00:00:00:01' });
    expect(() =>
      r.putNet({ iface_id: 'eth1', host_dev_name: 'tap1', guest_mac: '06:00:00:00:00:01' }),
    ).toThrow(/MAC address is already in use/);
    expect(() => r.putNet({ iface_id: 'eth1', host_dev_name: 'tap0' })).toThrow(/Resource busy/);
    expect(r.nets).toHaveLength(1);
    expect(() => r.putNet({ iface_id: 'eth2', host_dev_name: 'a-name-of-16byte' })).toThrow(
      /Invalid interface name/,
    );
  });
});
