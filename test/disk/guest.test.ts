import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSystemDisk,
  createWorkDisk,
  growWorkDisk,
  planWorkDiskFiles,
} from '../../src/host/disk/index.js';
import { buildInitramfs } from '../../src/host/images/initramfs/build-initramfs.js';
import { findStaticBusybox } from '../../src/host/images/initramfs/busybox.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { bootQemu, hostTscKhz } from '../kernel/support/qemu-boot.js';
import { testKernel } from '../support/kernel-fixture.js';
import { catIn, makeSeed } from './helpers.js';

const MIB = 1024 * 1024;
const runner = new SpawnRunner();

/** The guest's /sbin/init: reports what the disks made by src/host/disk look like from inside, then reboots. */
const GUEST_INIT = `#!/bin/sh
m() { stat -c '%a %u:%g' "$1"; }
echo "GUEST etc=$(m /etc) ssh-dir=$(m /etc/ssh)"
echo "GUEST hostkey=$(m /etc/ssh/ssh_host_ed25519_key) $(cat /etc/ssh/ssh_host_ed25519_key)"
echo "GUEST lower-ssh=$(cat /etc/ssh/sshd_config)"
echo "GUEST root=$(m /root) dotssh=$(m /root/.ssh) keys=$(m /root/.ssh/authorized_keys) $(cat /root/.ssh/authorized_keys)"
echo "GUEST synced=$(m /root/.config/tool/settings) $(cat /root/.config/tool/settings)"
echo "GUEST seed=$(cat /root/from-seed)"
echo "GUEST proof=$(cat /root/guest-proof 2>/dev/null)"
echo "GUEST root-kib=$(df -k /root | awk 'NR==2 {print $2}')"
echo written > /root/guest-proof && sync
echo "GUEST done"
reboot -f
`;

function guest(console: string, key: string): string | undefined {
  const line = console.split(/\r?\n/).find((l) => l.startsWith(`GUEST ${key}=`));
  return line?.slice(`GUEST ${key}=`.length);
}

describe('disks made by src/host/disk, seen from a booted guest (QEMU microvm, TCG)', () => {
  let dir: string;
  let vmlinux: string;
  let initrd: string;
  let rootfs: string;
  let system: string;
  let work: string;
  let append: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'banger-disk-guest-'));
    const kernel = await testKernel();
    vmlinux = kernel.vmlinux;
    initrd = join(dir, 'initrd.img');
    await buildInitramfs({
      runner,
      modulesDir: kernel.modulesDir,
      kernelVersion: kernel.version,
      dest: initrd,
    });

    const tree = join(dir, 'rootfs-tree');
    await mkdir(join(tree, 'bin'), { recursive: true });
    await mkdir(join(tree, 'sbin'));
    await mkdir(join(tree, 'etc', 'ssh'), { recursive: true });
    await chmod(join(tree, 'etc'), 0o755);
    await chmod(join(tree, 'etc', 'ssh'), 0o755);
    await writeFile(join(tree, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin prohibit-password');
    await writeFile(join(tree, 'bin/busybox'), (await findStaticBusybox(runner)).data, { mode: 0o755 });
    for (const applet of ['sh', 'cat', 'stat', 'df', 'awk', 'reboot', 'sync']) {
      await symlink('busybox', join(tree, 'bin', applet));
    }
    await writeFile(join(tree, 'sbin/init'), GUEST_INIT, { mode: 0o755 });
    rootfs = join(dir, 'rootfs.ext4');
    makeSeed(tree, rootfs, 32 * MIB);

    const seedTree = join(dir, 'seed-tree');
    await mkdir(seedTree);
    await writeFile(join(seedTree, 'from-seed'), 'seed contents');
    const seed = join(dir, 'work-seed.ext4');
    makeSeed(seedTree, seed, 32 * MIB);

    const home = join(dir, 'home');
    await mkdir(join(home, '.config', 'tool'), { recursive: true });
    await writeFile(join(home, '.config', 'tool', 'settings'), 'synced');

    system = join(dir, 'system.ext4');
    work = join(dir, 'work.ext4');
    await createSystemDisk(runner, system, 256 * MIB, {
      files: [
        {
          kind: 'content',
          path: '/upper/etc/ssh/ssh_host_ed25519_key',
          content: Buffer.from('HOSTKEY'),
          mode: 0o600,
          uid: 0,
          gid: 0,
          dirMode: 0o755,
        },
      ],
    });
    const files = await planWorkDiskFiles({
      authorizedKey: 'ssh-ed25519 AAAAtest banger',
      fileSync: [{ host: '~/.config/tool/settings', guest: '~/.config/tool/settings' }],
      home,
    });
    await createWorkDisk(runner, { path: work, bytes: 512 * MIB, seed, files });
    append = `console=ttyS0 reboot=k panic=1 pci=off tsc_early_khz=${await hostTscKhz()} tsc=reliable banger.hostname=disk-1`;
  }, 600_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const boot = async () => {
    const result = await bootQemu(runner, {
      vmlinux,
      initrd,
      disks: [{ file: rootfs, readOnly: true }, { file: system }, { file: work }],
      append,
      timeoutMs: 180_000,
    });
    expect(result.console.split(/\r?\n/), result.console).toContain('GUEST done');
    return result.console;
  };

  it('shows the host key through the overlay, a private /root with the key and synced files, then a grown /root', async () => {
    const first = await boot();
    expect(guest(first, 'etc')).toBe('755 0:0 ssh-dir=755 0:0');
    expect(guest(first, 'hostkey')).toBe('600 0:0 HOSTKEY');
    expect(guest(first, 'lower-ssh')).toBe('PermitRootLogin prohibit-password');
    expect(guest(first, 'root')).toBe('700 0:0 dotssh=700 0:0 keys=600 0:0 ssh-ed25519 AAAAtest banger');
    expect(guest(first, 'synced')).toBe('600 0:0 synced');
    expect(guest(first, 'seed')).toBe('seed contents');
    expect(guest(first, 'proof')).toBe('');
    const firstKib = Number(guest(first, 'root-kib'));
    expect(firstKib).toBeGreaterThan(400 * 1024);
    expect(firstKib).toBeLessThanOrEqual(512 * 1024);

    // The guest wrote to the disk; growing it offline keeps that and the guest sees the new size.
    await growWorkDisk(runner, work, 1024 * MIB);
    const second = await boot();
    expect(guest(second, 'proof')).toBe('written');
    const secondKib = Number(guest(second, 'root-kib'));
    expect(secondKib).toBeGreaterThan(900 * 1024);
    expect(catIn(work, '/guest-proof').toString()).toBe('written\n');
  }, 400_000);
});
