// Real guests under the stand-in: Debian's cloud kernel and a busybox
// initramfs, booted by QEMU (TCG here, ~5-10 s per boot). Runs the stand-in
// inside a private network namespace that holds the TAP, so the host's
// network is never touched. Needs root (network namespaces), qemu-system-x86,
// busybox-static, cpio and util-linux (setpriv).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKernel } from '../support/kernel-fixture.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { buildBusyboxInitramfs, childPids, findModule } from '../support/qemu-initramfs.js';
import { processAlive, type StandinProcess, spawnStandin } from '../support/qemu-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-boot-'));
const GUEST_MAC = '06:00:AC:10:00:02';
const BOOT_TIMEOUT_MS = 90_000;

// The guest's /init. It proves what the VMM handed it (drives in order with
// their read-only flags, the NIC's MAC, the kernel command line, the PS/2
// controller), then either ends at once or waits for Ctrl+Alt+Del
// (standin_mode=wait). It ends with a power-off, or a reboot with standin_end=reboot.
const INIT = `
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo STANDIN-INIT-START
for m in virtio virtio_ring virtio_mmio virtio_blk failover net_failover virtio_net; do
  insmod /lib/modules/$m.ko || echo "STANDIN-INSMOD-FAILED $m"
done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/vdb ] && [ -e /sys/class/net/eth0 ] && break; sleep 0.5; done
for d in vda vdb; do
  [ -e /dev/$d ] && echo "STANDIN-DRIVE $d ro=$(cat /sys/block/$d/ro) head=$(head -c 11 /dev/$d)"
done
echo "STANDIN-MAC $(cat /sys/class/net/eth0/address)"
echo "STANDIN-CMDLINE $(cat /proc/cmdline)"
echo "STANDIN-I8042 $(dmesg | grep -m1 'i8042: PNP:')"
if grep -q standin_mode=wait /proc/cmdline; then
  # As systemd does: the kernel then signals init (SIGINT) on Ctrl+Alt+Del instead of rebooting at once.
  echo 0 > /proc/sys/kernel/ctrl-alt-del
  trap 'echo STANDIN-CTRL-ALT-DEL; : > /cad' INT
  echo STANDIN-WAITING
  until [ -e /cad ]; do sleep 1; done
fi
if grep -q standin_end=reboot /proc/cmdline; then
  echo STANDIN-REBOOT
  reboot -f
fi
echo STANDIN-POWEROFF
poweroff -f
`;

let ns: TestNetns;
let vmlinux: string;
let initrd: string;
const rootfs = join(dir, 'rootfs.ext4');
const data = join(dir, 'data.ext4');

beforeAll(async () => {
  const kernel = await testKernel();
  vmlinux = kernel.vmlinux;
  const names = [
    'virtio',
    'virtio_ring',
    'virtio_mmio',
    'virtio_blk',
    'failover',
    'net_failover',
    'virtio_net',
  ];
  const modules = await Promise.all(names.map((n) => findModule(kernel.modulesDir, n)));
  initrd = await buildBusyboxInitramfs({ dir, init: INIT, modules });
  // Two 1 MiB "disks" whose first bytes say which is which.
  writeFileSync(rootfs, Buffer.concat([Buffer.from('ROOTFS-MARK'), Buffer.alloc(1024 * 1024 - 11)]));
  writeFileSync(data, Buffer.concat([Buffer.from('DATA-MARK-1'), Buffer.alloc(1024 * 1024 - 11)]));
  ns = await createNetns('standin');
  await ns.sh('ip tuntap add tap0 mode tap && ip link set tap0 up');
});

afterAll(async () => {
  await destroyAllNetns();
  rmSync(dir, { recursive: true, force: true });
});

async function expect204(fc: StandinProcess, method: string, path: string, body: unknown): Promise<void> {
  const res = await fc.api(method, path, body);
  expect(res, `${method} ${path}`).toEqual({ status: 204, body: undefined });
}

describe('firecracker stand-in booting real guests', () => {
  it('boots with the getting-started call sequence; a guest power-off leaves it running, as Firecracker', async () => {
    const vmDir = mkdtempSync(join(dir, 'vm-'));
    const logFile = join(vmDir, 'firecracker.log');
    writeFileSync(logFile, ''); // Firecracker's getting-started: touch the log file first
    const fc = await spawnStandin({ dir: vmDir, netns: ns.name, args: ['--id', 'boot-test'] });
    try {
      // Firecracker docs/getting-started.md: logger, boot source, rootfs drive,
      // network interface, InstanceStart (plus machine-config and a second,
      // read-only drive to check ordering and flags).
      await expect204(fc, 'PUT', '/logger', {
        log_path: logFile,
        level: 'Debug',
        show_level: true,
        show_log_origin: true,
      });
      await expect204(fc, 'PUT', '/machine-config', { vcpu_count: 2, mem_size_mib: 256 });
      await expect204(fc, 'PUT', '/boot-source', {
        kernel_image_path: vmlinux,
        initrd_path: initrd,
        boot_args: 'console=ttyS0 reboot=k panic=1',
      });
      // Inserted before the root drive on purpose: Firecracker still makes the root drive vda.
      await expect204(fc, 'PUT', '/drives/data', {
        drive_id: 'data',
        path_on_host: data,
        is_root_device: false,
        is_read_only: true,
      });
      await expect204(fc, 'PUT', '/drives/rootfs', {
        drive_id: 'rootfs',
        path_on_host: rootfs,
        is_root_device: true,
        is_read_only: false,
      });
      await expect204(fc, 'PUT', '/network-interfaces/net1', {
        iface_id: 'net1',
        guest_mac: GUEST_MAC,
        host_dev_name: 'tap0',
      });
      const started = Date.now();
      await expect204(fc, 'PUT', '/actions', { action_type: 'InstanceStart' });
      expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');

      await fc.waitForOutput('reboot: Power down', BOOT_TIMEOUT_MS);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`stand-in boot: InstanceStart to power-off in ${seconds} s`);
      // Firecracker has no ACPI _S5: after a guest power-off its process stays, the instance
      // "Running" with the vCPUs halted, and no exit. So does the stand-in.
      let exited = false;
      void fc.exited.then(() => {
        exited = true;
      });
      await new Promise((r) => setTimeout(r, 3000));
      expect(exited, 'the stand-in ended on a guest power-off').toBe(false);
      expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');
      // A halted guest ignores Ctrl+Alt+Del; pause and resume are still answered.
      await expect204(fc, 'PUT', '/actions', { action_type: 'SendCtrlAltDel' });
      await expect204(fc, 'PATCH', '/vm', { state: 'Paused' });
      await expect204(fc, 'PATCH', '/vm', { state: 'Resumed' });
      await new Promise((r) => setTimeout(r, 1000));
      expect(exited).toBe(false);
      expect(((await fc.api('GET', '/')).body as { state: string }).state).toBe('Running');

      const console_ = fc.stdout();
      expect(console_).toMatch(/Linux version 6\.1\./); // the kernel ran, its console is on our stdout
      expect(console_).toContain('STANDIN-INIT-START'); // and so did init
      expect(console_).not.toContain('STANDIN-INSMOD-FAILED');
      expect(console_).toContain('STANDIN-DRIVE vda ro=0 head=ROOTFS-MARK');
      expect(console_).toContain('STANDIN-DRIVE vdb ro=1 head=DATA-MARK-1');
      expect(console_).toContain(`STANDIN-MAC ${GUEST_MAC.toLowerCase()}`);
      expect(console_).toMatch(
        /STANDIN-CMDLINE console=ttyS0 reboot=k panic=1 pci=off root=\/dev\/vda rw( tsc_early_khz=\d+ tsc=reliable)?\r?\n/,
      );
      expect(console_).toContain('STANDIN-POWEROFF');
      const log = readFileSync(logFile, 'utf8');
      expect(log).toContain('[boot-test:fc_vmm:INFO] Successfully started microvm');
      expect(log).toContain('The guest powered off');
      expect(log).not.toContain('Firecracker exiting');
    } finally {
      fc.child.kill('SIGKILL');
    }
  });

  it('exits 0 when the guest reboots, as Firecracker does with reboot=k', async () => {
    const vmDir = mkdtempSync(join(dir, 'vm-'));
    const logFile = join(vmDir, 'firecracker.log');
    writeFileSync(logFile, ''); // Firecracker opens the log file, it does not create it
    const fc = await spawnStandin({ dir: vmDir, netns: ns.name, args: ['--id', 'reboot-test'] });
    try {
      await expect204(fc, 'PUT', '/logger', { log_path: logFile, level: 'Info' });
      await expect204(fc, 'PUT', '/boot-source', {
        kernel_image_path: vmlinux,
        initrd_path: initrd,
        boot_args: 'console=ttyS0 reboot=k panic=1 standin_end=reboot',
      });
      await expect204(fc, 'PUT', '/actions', { action_type: 'InstanceStart' });
      const exit = await Promise.race([
        fc.exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(new Error(`the stand-in did not end on a guest reboot: ${fc.stdout().slice(-3000)}`)),
            BOOT_TIMEOUT_MS,
          ),
        ),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(fc.stdout()).toContain('STANDIN-REBOOT');
      expect(fc.stdout()).toContain('reboot: Restarting system');
      const log = readFileSync(logFile, 'utf8');
      expect(log).toContain('The guest rebooted (guest-reset)');
      expect(log).toContain('Firecracker exiting successfully. exit_code=0');
    } finally {
      fc.child.kill('SIGKILL');
    }
  });

  it('delivers SendCtrlAltDel as Ctrl+Alt+Del on the PS/2 keyboard; exits 0 when the guest then reboots', async () => {
    const vmDir = mkdtempSync(join(dir, 'vm-'));
    const fc = await spawnStandin({ dir: vmDir, netns: ns.name });
    try {
      await expect204(fc, 'PUT', '/boot-source', {
        kernel_image_path: vmlinux,
        initrd_path: initrd,
        boot_args: 'console=ttyS0 reboot=k panic=1 standin_mode=wait standin_end=reboot',
      });
      await expect204(fc, 'PUT', '/actions', { action_type: 'InstanceStart' });
      await fc.waitForOutput('STANDIN-WAITING', BOOT_TIMEOUT_MS);
      // Firecracker >= 1.8 describes its i8042 in ACPI as PNP0303 (keyboard) and PNP0F13 (mouse).
      expect(fc.stdout()).toMatch(
        /STANDIN-I8042 .*i8042: PNP: PS\/2 Controller \[PNP0303:KBD,PNP0f13:MOU\] at 0x60,0x64/,
      );
      await expect204(fc, 'PUT', '/actions', { action_type: 'SendCtrlAltDel' });
      const exit = await Promise.race([
        fc.exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(new Error(`the guest did not reboot after SendCtrlAltDel: ${fc.stdout().slice(-3000)}`)),
            30_000,
          ),
        ),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
      // The kernel saw the key combination (it signalled init), and init's reboot (reboot=k:
      // through the i8042's reset line) ended the process.
      expect(fc.stdout()).toContain('STANDIN-CTRL-ALT-DEL');
      expect(fc.stdout()).toContain('reboot: Restarting system');
    } finally {
      fc.child.kill('SIGKILL');
    }
  });

  it('leaves no QEMU behind when the stand-in is killed with SIGKILL', async () => {
    const vmDir = mkdtempSync(join(dir, 'vm-'));
    const fc = await spawnStandin({ dir: vmDir, netns: ns.name });
    await expect204(fc, 'PUT', '/boot-source', {
      kernel_image_path: vmlinux,
      initrd_path: initrd,
      boot_args: 'console=ttyS0 standin_mode=wait',
    });
    await expect204(fc, 'PUT', '/actions', { action_type: 'InstanceStart' });
    const pid = fc.child.pid ?? 0;
    const children = await childPids(pid);
    expect(children).toHaveLength(1);
    const qemu = children[0] ?? 0;
    expect(readFileSync(`/proc/${qemu}/cmdline`, 'utf8')).toContain('qemu-system-x86_64');
    fc.child.kill('SIGKILL');
    expect(await fc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const deadline = Date.now() + 10_000;
    while (processAlive(qemu) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(qemu), `QEMU ${qemu} outlived its stand-in`).toBe(false);
  });
});
