import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenImage } from './golden-image.js';
import { mustRun, type VmHarness } from './vm-harness.js';

/** busybox init: Ctrl-Alt-Del (banger's graceful stop) reboots, which ends the VM. */
export const BUSYBOX_INITTAB =
  '::sysinit:/bin/busybox mount -t proc proc /proc\n::ctrlaltdel:/bin/busybox reboot -f\n::respawn:/bin/busybox sleep 3600\n';

/**
 * Registers `name`: a root filesystem with busybox as init and nothing else
 * (no systemd, no libc, no sshd, no /etc/passwd), booted with the golden
 * image's kernel set; a guest of it boots in seconds. `applets` become
 * /bin links to busybox, for tests that run commands in the guest's shell.
 */
export async function registerBusyboxImage(
  h: VmHarness,
  name: string,
  applets: string[] = [],
): Promise<void> {
  const root = join(h.root, `rootfs-${name}`);
  for (const dir of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'root', 'tmp'])
    mkdirSync(join(root, dir), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  for (const applet of applets) execFileSync('ln', ['-s', 'busybox', join(root, 'bin', applet)]);
  writeFileSync(join(root, 'etc/inittab'), BUSYBOX_INITTAB);
  execFileSync('ln', ['-s', '/bin/busybox', join(root, 'sbin/init')]);
  const rootfs = join(h.root, `${name}.ext4`);
  execFileSync('mkfs.ext4', ['-q', '-F', '-d', root, rootfs, '64M']);
  const golden = await goldenImage();
  await mustRun(h, [
    'image',
    'register',
    name,
    '--rootfs',
    rootfs,
    '--kernel',
    join(golden.kernelDir, 'vmlinux'),
    '--initrd',
    join(golden.kernelDir, 'initrd.img'),
  ]);
}
