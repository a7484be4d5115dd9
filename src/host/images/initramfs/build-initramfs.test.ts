import { describe, expect, it } from 'vitest';
import { initramfsEntries } from './build-initramfs.js';
import { INIT_SCRIPT } from './init-script.js';

describe('initramfsEntries', () => {
  const entries = initramfsEntries(
    '6.1.0-50-cloud-amd64',
    Buffer.from('busybox'),
    ['bin/sh', 'usr/bin/[', 'linuxrc', 'bin/busybox'],
    {
      load: [
        {
          name: 'virtio',
          relPath: 'kernel/drivers/virtio/virtio.ko',
          required: true,
          payload: Buffer.from('v'),
        },
        {
          name: 'virtio_pci',
          relPath: 'kernel/drivers/virtio/virtio_pci.ko',
          required: false,
          payload: Buffer.from('p'),
        },
      ],
      builtin: ['ext4'],
      skipped: [],
    },
    Buffer.from('agent'),
  );
  const byPath = new Map(entries.map((e) => [e.path, e]));

  it('lists every parent directory before its children', () => {
    const seen = new Set<string>();
    for (const e of entries) {
      const parent = e.path.split('/').slice(0, -1).join('/');
      if (parent !== '') expect(seen.has(parent), `${parent} before ${e.path}`).toBe(true);
      seen.add(e.path);
    }
  });

  it('carries the init, busybox with applet links, console and the module list', () => {
    expect(byPath.get('init')).toMatchObject({ type: 'file', mode: 0o755, data: Buffer.from(INIT_SCRIPT) });
    expect(byPath.get('bin/busybox')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byPath.get('bin/banger-agent')).toMatchObject({
      type: 'file',
      mode: 0o755,
      data: Buffer.from('agent'),
    });
    expect(byPath.get('usr/bin/[')).toEqual({ type: 'symlink', path: 'usr/bin/[', target: '/bin/busybox' });
    expect(byPath.has('linuxrc')).toBe(false);
    expect(byPath.get('dev/console')).toMatchObject({ type: 'chardev', major: 5, minor: 1 });
    const list = byPath.get('etc/banger/modules');
    expect(list?.type === 'file' && list.data.toString()).toBe(
      'virtio kernel/drivers/virtio/virtio.ko required\nvirtio_pci kernel/drivers/virtio/virtio_pci.ko optional\n',
    );
    expect(byPath.has('lib/modules/6.1.0-50-cloud-amd64/kernel/drivers/virtio/virtio_pci.ko')).toBe(true);
  });
});

describe('INIT_SCRIPT', () => {
  it('implements each step of the boot contract', () => {
    for (const needle of [
      'mount -t devtmpfs devtmpfs /dev',
      'insmod "/lib/modules/$kver/$path"',
      'wait_for_disk vda',
      'wait_for_disk vdb',
      'wait_for_disk vdc',
      'lowerdir=/lower,upperdir=/system/upper,workdir=/system/work',
      'banger.root=*',
      'ip addr add "$ip_cidr" dev eth0',
      'ip route add default via "$gw" dev eth0',
      'write_root_file /etc/resolv.conf',
      'mount -t ext4 -o rw /dev/vdc /newroot/root',
      'mount --move "/$fs" "/newroot/$fs"',
      'if /bin/banger-agent --root /newroot --detach; then',
      'exec switch_root /newroot "$init"',
      'reboot -f',
    ]) {
      expect(INIT_SCRIPT).toContain(needle);
    }
  });
});
