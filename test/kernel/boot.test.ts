import { createHash } from 'node:crypto';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInitramfs } from '../../src/host/images/initramfs/build-initramfs.js';
import { findStaticBusybox } from '../../src/host/images/initramfs/busybox.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { testKernel } from '../support/kernel-fixture.js';
import { bootQemu, hostTscKhz } from './support/qemu-boot.js';
import { makeTempDir, type TempDir } from './support/temp-dir.js';

const runner = new SpawnRunner();

/** The guest's /sbin/init: reports what banger's initramfs set up, leaves marks on both writable disks, reboots. */
const GUEST_INIT = `#!/bin/sh
echo "GUEST pid=$$"
echo "GUEST hostname=$(hostname)"
while read -r dev mnt type opts _; do echo "GUEST mount $mnt $type $dev $opts"; done < /proc/mounts
echo "GUEST addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}')"
echo "GUEST route=$(ip route show default)"
while read -r line; do echo "GUEST resolv $line"; done < /etc/resolv.conf
while read -r line; do echo "GUEST hosts $line"; done < /etc/hosts
echo "GUEST etc-hostname=$(cat /etc/hostname)"
echo "GUEST work-marker=$(cat /root/marker)"
echo upper > /upper-proof && echo guest > /root/guest-proof && sync
echo "GUEST done"
reboot -f
`;

function guestLines(console: string, prefix: string): string[] {
  return console
    .split(/\r?\n/)
    .filter((l) => l.startsWith(`GUEST ${prefix}`))
    .map((l) => l.slice(`GUEST ${prefix}`.length));
}

describe('booting the Debian cloud kernel with banger initramfs (QEMU microvm, TCG)', () => {
  let tmp: TempDir;
  let vmlinux: string;
  let initrd: string;
  let rootfs: string;
  let system: string;
  let work: string;
  let baseAppend: string;
  let rootfsSha: string;

  const mkfs = (file: string, dir?: string) =>
    runner.run(['mkfs.ext4', '-q', '-F', ...(dir ? ['-d', dir] : []), file, '32M'], { timeoutMs: 60_000 });
  const sha = async (file: string) =>
    createHash('sha256')
      .update(await readFile(file))
      .digest('hex');

  beforeAll(async () => {
    tmp = await makeTempDir('banger-boot-');
    const kernel = await testKernel();
    vmlinux = kernel.vmlinux;
    initrd = join(tmp.path, 'initrd.img');
    await buildInitramfs({
      runner,
      modulesDir: kernel.modulesDir,
      kernelVersion: kernel.version,
      dest: initrd,
    });

    const tree = join(tmp.path, 'rootfs-tree');
    await mkdir(join(tree, 'bin'), { recursive: true });
    await mkdir(join(tree, 'sbin'));
    await mkdir(join(tree, 'etc'));
    await writeFile(join(tree, 'bin/busybox'), (await findStaticBusybox(runner)).data, { mode: 0o755 });
    for (const applet of ['sh', 'cat', 'hostname', 'ip', 'awk', 'reboot', 'sync']) {
      await symlink('busybox', join(tree, 'bin', applet));
    }
    await writeFile(join(tree, 'sbin/init'), GUEST_INIT, { mode: 0o755 });
    // A dangling absolute symlink, as on systemd-resolved images: the init must replace it, not write through it.
    await symlink('/run/systemd/resolve/stub-resolv.conf', join(tree, 'etc/resolv.conf'));
    const workTree = join(tmp.path, 'work-tree');
    await mkdir(workTree);
    await writeFile(join(workTree, 'marker'), 'from-work-disk\n');

    rootfs = join(tmp.path, 'rootfs.ext4');
    system = join(tmp.path, 'system.ext4');
    work = join(tmp.path, 'work.ext4');
    await mkfs(rootfs, tree);
    await mkfs(system);
    await mkfs(work, workTree);
    rootfsSha = await sha(rootfs);
    baseAppend = `console=ttyS0 reboot=k panic=1 pci=off root=/dev/vda ro tsc_early_khz=${await hostTscKhz()} tsc=reliable`;
  }, 600_000);
  afterAll(async () => {
    await tmp.remove();
  });

  it('assembles the overlay root, /root, eth0, hostname and DNS, then switch_roots into the image init', async () => {
    const boot = await bootQemu(runner, {
      vmlinux,
      initrd,
      disks: [{ file: rootfs, readOnly: true }, { file: system }, { file: work }],
      append: `${baseAppend} banger.ip=172.16.0.2/24 banger.gw=172.16.0.1 banger.dns=172.16.0.1,9.9.9.9 banger.hostname=sandbox-1`,
      timeoutMs: 180_000,
    });
    console.info(
      `boot to guest reboot: ${boot.ms} ms; ${guestLines(boot.console, 'pid').length ? 'guest init ran' : 'guest init did not run'}`,
    );
    const switched = boot.console.split('\n').find((l) => l.includes('banger-init: switching root'));
    expect(switched, boot.console).toBeDefined();
    expect(guestLines(boot.console, 'done'), boot.console).toHaveLength(1);
    expect(boot.exitCode).toBe(0);

    expect(guestLines(boot.console, 'pid=')).toEqual(['1']);
    expect(guestLines(boot.console, 'hostname=')).toEqual(['sandbox-1']);
    const mounts = guestLines(boot.console, 'mount ');
    expect(mounts).toContainEqual(
      expect.stringMatching(
        /^\/ overlay overlay .*lowerdir=\/lower,upperdir=\/system\/upper,workdir=\/system\/work/,
      ),
    );
    expect(mounts).toContainEqual(expect.stringMatching(/^\/root ext4 \/dev\/vdc rw/));
    expect(mounts).toContainEqual(expect.stringMatching(/^\/dev devtmpfs /));
    expect(mounts).toContainEqual(expect.stringMatching(/^\/proc proc /));
    expect(guestLines(boot.console, 'addr=')).toEqual(['172.16.0.2/24']);
    expect(guestLines(boot.console, 'route=')[0]).toMatch(/^default via 172\.16\.0\.1 dev eth0/);
    expect(guestLines(boot.console, 'resolv ')).toEqual(['nameserver 172.16.0.1', 'nameserver 9.9.9.9']);
    expect(guestLines(boot.console, 'hosts ')).toContain('172.16.0.2\tsandbox-1');
    expect(guestLines(boot.console, 'etc-hostname=')).toEqual(['sandbox-1']);
    expect(guestLines(boot.console, 'work-marker=')).toEqual(['from-work-disk']);

    // Writes to / landed in vdb's upper layer, writes to /root on vdc, and vda is untouched.
    const debugfsCat = async (image: string, path: string) =>
      (await runner.run(['debugfs', '-R', `cat ${path}`, image])).stdout;
    expect(await debugfsCat(system, '/upper/upper-proof')).toBe('upper\n');
    expect(await debugfsCat(system, '/upper/etc/hostname')).toBe('sandbox-1\n');
    expect(await debugfsCat(work, '/guest-proof')).toBe('guest\n');
    expect(await sha(rootfs)).toBe(rootfsSha);
  }, 240_000);

  it('mounts vda read-write as / with banger.root=persistent', async () => {
    const persistent = join(tmp.path, 'rootfs-persistent.ext4');
    await runner.run(['cp', rootfs, persistent]);
    const freshSystem = join(tmp.path, 'system-unused.ext4');
    await mkfs(freshSystem);
    const boot = await bootQemu(runner, {
      vmlinux,
      initrd,
      disks: [{ file: persistent }, { file: freshSystem }, { file: work }],
      append: `${baseAppend} banger.root=persistent banger.hostname=keeper`,
      timeoutMs: 180_000,
    });
    console.info(`persistent-root boot: ${boot.ms} ms`);
    expect(guestLines(boot.console, 'done'), boot.console).toHaveLength(1);
    expect(guestLines(boot.console, 'mount ')).toContainEqual(
      expect.stringMatching(/^\/ ext4 \/dev\/vda rw/),
    );
    expect(guestLines(boot.console, 'addr=')).toEqual(['']);
    expect(boot.console).toContain('no banger.ip= on the kernel command line');
    const cat = async (image: string, path: string) =>
      (await runner.run(['debugfs', '-R', `cat ${path}`, image])).stdout;
    expect(await cat(persistent, '/upper-proof')).toBe('upper\n');
    expect(await cat(persistent, '/etc/hostname')).toBe('keeper\n');
    expect((await runner.run(['debugfs', '-R', 'ls -l /', freshSystem])).stdout).not.toContain('upper');
  }, 240_000);

  it('names a missing disk loudly and ends the VM', async () => {
    const boot = await bootQemu(runner, {
      vmlinux,
      initrd,
      disks: [{ file: rootfs, readOnly: true }, { file: system }],
      append: `${baseAppend} banger.disk_timeout=2`,
      timeoutMs: 180_000,
    });
    console.info(`missing-disk boot ended after ${boot.ms} ms`);
    expect(boot.console).toMatch(
      /banger-init: BOOT FAILED: disk \/dev\/vdc \(work disk for \/root\) did not appear within 2s; block devices present: vda vdb/,
    );
    expect(boot.console).not.toContain('switching root');
    expect(boot.exitCode).toBe(0);
  }, 240_000);
});
