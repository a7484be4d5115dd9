import { mkdir, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build as esbuild } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGoldenImage, defaultPackagesFile } from '../../src/host/images/golden/build-golden.js';
import {
  DISABLED_GENERATORS,
  DOCKER_DAEMON_JSON,
  DOCKER_SOCKET_DROP_IN,
  HOST_KEY_UNIT_NAME,
  JOURNALD_DROP_IN,
  MASKED_UNITS,
  MOUNT_AFTER_SSH_DROP_IN,
  MOUNTS_AFTER_SSH,
  SSH_SERVICE_DROP_IN,
  SSHD_DROP_IN,
  SSHD_DROP_IN_PATH,
  TMPFILES_TMP,
  TMPFILES_TMP_PATH,
} from '../../src/host/images/golden/guest-config.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { makeTempDir } from '../kernel/support/temp-dir.js';
import { type CachedGoldenImage, goldenImage } from '../support/golden-image.js';

const runner = new SpawnRunner();

interface InodeFacts {
  mode: number;
  uid: number;
  gid: number;
  type: string;
  size: number;
  fastLink?: string;
}

/** `debugfs stat` of one path in an unmounted image. */
async function inode(image: string, path: string): Promise<InodeFacts> {
  const { stdout } = await runner.run(['debugfs', '-R', `stat "${path}"`, image]);
  const mode = /Mode:\s+(\d+)/.exec(stdout);
  const owner = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(stdout);
  const type = /Type: (\w+)/.exec(stdout);
  const size = /Size: (\d+)/.exec(stdout);
  if (!mode || !owner || !type || !size)
    throw new Error(`debugfs has no inode for ${path} in ${image}:\n${stdout}`);
  const link = /Fast link dest: "(.*)"/.exec(stdout);
  return {
    mode: Number.parseInt(mode[1] ?? '', 8),
    uid: Number(owner[1]),
    gid: Number(owner[2]),
    type: type[1] ?? '',
    size: Number(size[1]),
    ...(link ? { fastLink: link[1] } : {}),
  };
}

async function cat(image: string, path: string): Promise<string> {
  return (await runner.run(['debugfs', '-R', `cat "${path}"`, image])).stdout;
}

async function ls(image: string, path: string): Promise<string[]> {
  const { stdout } = await runner.run(['debugfs', '-R', `ls -p "${path}"`, image]);
  // `ls -p` lines: /inode/mode/uid/gid/name/size/
  return stdout
    .split('\n')
    .map((l) => l.split('/')[5] ?? '')
    .filter((n) => n !== '' && n !== '.' && n !== '..');
}

/** Looks a name up in the image's own /etc/passwd or /etc/group. */
function idOf(table: string, name: string): number {
  const line = table.split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} not in the image's table`);
  return Number(line.split(':')[2]);
}

describe('golden image debian-bookworm (mmdebstrap, real Debian archive)', () => {
  let image: CachedGoldenImage;
  let passwd: string;
  let group: string;

  beforeAll(async () => {
    image = await goldenImage();
    console.log(
      `golden image: ${image.builtNow ? 'built' : 'cached'}, build took ${(image.buildMs / 1000).toFixed(0)} s ` +
        `(${image.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)}s`).join(', ')}), ` +
        `${image.installedPackages} packages, kernel ${image.kernelVersion}, mode ${image.mode}`,
    );
    passwd = await cat(image.rootfs, '/etc/passwd');
    group = await cat(image.rootfs, '/etc/group');
  }, 20 * 60_000);

  it('keeps setuid root binaries 4755 0:0', async () => {
    for (const path of ['/usr/bin/passwd', '/usr/bin/su', '/usr/bin/sudo', '/usr/bin/mount']) {
      expect(await inode(image.rootfs, path), path).toMatchObject({
        mode: 0o4755,
        uid: 0,
        gid: 0,
        type: 'regular',
      });
    }
  });

  it("keeps Debian system users' and groups' ownership", async () => {
    const shadowGid = idOf(group, 'shadow');
    expect(shadowGid).not.toBe(0);
    expect(await inode(image.rootfs, '/etc/shadow')).toMatchObject({ mode: 0o640, uid: 0, gid: shadowGid });
    const messagebus = idOf(group, 'messagebus');
    expect(await inode(image.rootfs, '/usr/lib/dbus-1.0/dbus-daemon-launch-helper')).toMatchObject({
      mode: 0o4754,
      uid: 0,
      gid: messagebus,
    });
    const apt = idOf(passwd, '_apt');
    expect(apt).not.toBe(0);
    expect(await inode(image.rootfs, '/var/cache/apt/archives/partial')).toMatchObject({
      uid: apt,
      type: 'directory',
    });
    expect(await inode(image.rootfs, '/var/lib/apt/lists/partial')).toMatchObject({ uid: apt, mode: 0o700 });
    expect(await inode(image.rootfs, '/usr/bin/ssh-agent')).toMatchObject({
      mode: 0o2755,
      gid: idOf(group, '_ssh'),
    });
    expect(await inode(image.rootfs, '/var/log/journal')).toMatchObject({
      gid: idOf(group, 'systemd-journal'),
    });
    expect(await inode(image.rootfs, '/tmp')).toMatchObject({ mode: 0o1777, uid: 0, gid: 0 });
  });

  it('passes e2fsck -fn on both images', async () => {
    for (const file of [image.rootfs, image.workSeed]) {
      const r = await runner.run(['e2fsck', '-fn', file], { check: false });
      expect(r.exitCode, `${file}\n${r.stdout}${r.stderr}`).toBe(0);
    }
    expect((await stat(image.rootfs)).size).toBe(4 * 1024 ** 3);
  });

  it('the build log is private and has the tool output', async () => {
    expect((await stat(image.logFile)).mode & 0o777).toBe(0o600);
    const log = await readFile(image.logFile, 'utf8');
    expect(log).toMatch(/Setting up openssh-server/);
    expect(log).toMatch(/banger-golden: guest configured/);
  });

  it('configures sshd for key-only root login and bakes in no host keys', async () => {
    expect(await cat(image.rootfs, SSHD_DROP_IN_PATH)).toBe(SSHD_DROP_IN);
    for (const line of [
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AuthorizedKeysFile /root/.ssh/authorized_keys',
    ]) {
      expect(SSHD_DROP_IN.split('\n')).toContain(line);
    }
    expect(await inode(image.rootfs, SSHD_DROP_IN_PATH)).toMatchObject({ mode: 0o644, uid: 0, gid: 0 });
    const ssh = await ls(image.rootfs, '/etc/ssh');
    expect(ssh).toContain('sshd_config');
    expect(ssh.filter((n) => n.startsWith('ssh_host_'))).toEqual([]);
    // sshd -t ran at build time (with a throwaway key), so boots skip it.
    expect(await cat(image.rootfs, '/etc/systemd/system/ssh.service.d/banger.conf')).toBe(
      SSH_SERVICE_DROP_IN,
    );
    expect(await ls(image.rootfs, '/run')).toEqual(['lock']);
    const requires = await ls(image.rootfs, '/etc/systemd/system/ssh.service.requires');
    expect(requires).toContain(HOST_KEY_UNIT_NAME);
  });

  it('locks root, empties machine-id and leaves the network to the initramfs', async () => {
    const rootShadow = (await cat(image.rootfs, '/etc/shadow'))
      .split('\n')
      .find((l) => l.startsWith('root:'));
    expect(rootShadow?.split(':')[1]).toMatch(/^!/);
    expect(await inode(image.rootfs, '/etc/machine-id')).toMatchObject({ size: 0 });
    for (const unit of [
      'systemd-networkd.service',
      'systemd-networkd-wait-online.service',
      'systemd-firstboot.service',
    ]) {
      expect(MASKED_UNITS).toContain(unit);
      expect(await inode(image.rootfs, `/etc/systemd/system/${unit}`), unit).toMatchObject({
        fastLink: '/dev/null',
      });
    }
    expect(await ls(image.rootfs, '/etc/network').catch(() => [])).not.toContain('interfaces');
    expect(await cat(image.rootfs, '/etc/resolv.conf')).not.toMatch(/nameserver/);
    // No Debian initramfs was generated, and update-initramfs is back for use inside the VM.
    expect(await ls(image.rootfs, '/boot')).not.toContain(expect.stringMatching(/^initrd/));
    // Docker's storage on the ext4 work disk (overlay2 refuses an overlay root); the journal in memory.
    expect(await cat(image.rootfs, '/etc/docker/daemon.json')).toBe(DOCKER_DAEMON_JSON);
    expect(await cat(image.rootfs, '/etc/systemd/journald.conf.d/banger.conf')).toBe(JOURNALD_DROP_IN);
    expect(await inode(image.rootfs, '/etc/.updated')).toMatchObject({ type: 'regular' });
    expect(await inode(image.rootfs, '/usr/sbin/update-initramfs')).toMatchObject({
      type: 'regular',
      mode: 0o755,
    });
    expect(await cat(image.rootfs, '/var/lib/dpkg/diversions')).not.toMatch(/update-initramfs/);
  });

  it('puts sshd on the shortest boot path without dropping docker.socket, the journal or udev', async () => {
    const hostKeyUnit = await cat(image.rootfs, `/etc/systemd/system/${HOST_KEY_UNIT_NAME}`);
    expect(hostKeyUnit).toMatch(/^DefaultDependencies=no$/m);
    expect(hostKeyUnit).not.toMatch(/local-fs\.target/);
    for (const g of DISABLED_GENERATORS) {
      expect(await inode(image.rootfs, `/etc/systemd/system-generators/${g}`), g).toMatchObject({
        fastLink: '/dev/null',
      });
      // The generator itself is still in the image (a user can remove the link).
      expect(await ls(image.rootfs, '/usr/lib/systemd/system-generators')).toContain(g);
    }
    // fstab, rc.local and init scripts still work.
    for (const kept of ['systemd-fstab-generator', 'systemd-rc-local-generator', 'systemd-sysv-generator'])
      expect(DISABLED_GENERATORS).not.toContain(kept);
    for (const m of MOUNTS_AFTER_SSH)
      expect(await cat(image.rootfs, `/etc/systemd/system/${m}.d/banger.conf`), m).toBe(
        MOUNT_AFTER_SSH_DROP_IN,
      );
    expect(await cat(image.rootfs, '/etc/systemd/system/docker.socket.d/banger.conf')).toBe(
      DOCKER_SOCKET_DROP_IN,
    );
    expect(await cat(image.rootfs, TMPFILES_TMP_PATH)).toBe(TMPFILES_TMP);
    for (const unit of ['systemd-journal-flush.service', 'modprobe@drm.service']) {
      expect(MASKED_UNITS).toContain(unit);
      expect(await inode(image.rootfs, `/etc/systemd/system/${unit}`), unit).toMatchObject({
        fastLink: '/dev/null',
      });
    }
    // What users rely on is not masked: docker's socket, journald, udev.
    const masked = await ls(image.rootfs, '/etc/systemd/system');
    for (const unit of ['docker.socket', 'systemd-journald.service', 'systemd-udevd.service', 'dbus.service'])
      expect(masked).not.toContain(unit);
  });

  it('leaves /root as an empty 0700 mount point and puts its content in work-seed.ext4', async () => {
    expect(await inode(image.rootfs, '/root')).toMatchObject({
      mode: 0o700,
      uid: 0,
      gid: 0,
      type: 'directory',
    });
    expect(await ls(image.rootfs, '/root')).toEqual([]);
    expect(await inode(image.workSeed, '/')).toMatchObject({
      mode: 0o700,
      uid: 0,
      gid: 0,
      type: 'directory',
    });
    const home = await ls(image.workSeed, '/');
    expect(home).toEqual(expect.arrayContaining(['.bashrc', '.profile']));
    expect(await inode(image.workSeed, '/.bashrc')).toMatchObject({ uid: 0, gid: 0, mode: 0o644 });
  });

  it("builds a kernel set from the image's own kernel", async () => {
    const vmlinux = await readFile(join(image.kernelDir, 'vmlinux'));
    expect(vmlinux.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    const initrd = await readFile(join(image.kernelDir, 'initrd.img'));
    expect(initrd.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const manifest = JSON.parse(await readFile(join(image.kernelDir, 'kernel.json'), 'utf8')) as {
      version: string;
      initrd: { modules: string[] };
    };
    expect(manifest.version).toBe(image.kernelVersion);
    expect(manifest.initrd.modules).toEqual(expect.arrayContaining(['virtio_blk', 'virtio_net', 'overlay']));
    expect((await stat(join(image.kernelDir, 'modules', 'modules.order'))).isFile()).toBe(true);
    expect(await ls(image.rootfs, '/usr/lib/modules')).toContain(image.kernelVersion);
  });
});

/** Processes whose command line, root or working directory lies under `dir`. */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const root = await readlink(`/proc/${pid}/root`).catch(() => '');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if ([cmdline, root, cwd].some((s) => s.includes(dir)))
      found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('aborting a golden image build', () => {
  it(
    'kills mmdebstrap and everything below it and leaves the destination empty',
    async () => {
      const tmp = await makeTempDir('banger-golden-abort-');
      try {
        const dest = `${tmp.path}/image`;
        await mkdir(dest, { mode: 0o700 });
        const controller = new AbortController();
        let abortedAt = 0;
        const build = buildGoldenImage({
          runner,
          packagesFile: defaultPackagesFile(),
          sizeBytes: 4 * 1024 ** 3,
          dest,
          logFile: `${tmp.path}/build.log`,
          signal: controller.signal,
          // Abort while dpkg is busy inside the chroot: the worst moment (mounts, many processes).
          onProgress: (e) => {
            if (/installing essential packages/.test(e.message) && !controller.signal.aborted) {
              abortedAt = Date.now();
              controller.abort();
            }
          },
        });
        await expect(build).rejects.toMatchObject({ code: 'cancelled' });
        const settledMs = Date.now() - abortedAt;
        console.log(`aborted build settled ${(settledMs / 1000).toFixed(1)} s after the abort`);
        expect(controller.signal.aborted).toBe(true);
        expect(settledMs).toBeLessThan(30_000);
        expect(await readdir(dest)).toEqual([]);
        // Killed processes may take a moment to be reaped; none may survive for long.
        let left = await processesUnder(dest);
        for (let i = 0; i < 20 && left.length > 0; i++) {
          await new Promise((r) => setTimeout(r, 250));
          left = await processesUnder(dest);
        }
        expect(left).toEqual([]);
        const mounts = await readFile('/proc/self/mountinfo', 'utf8');
        expect(mounts).not.toContain(dest);
        expect(await readFile(`${tmp.path}/build.log`, 'utf8')).toMatch(/FAILED: image build cancelled/);
      } finally {
        await tmp.remove();
      }
    },
    10 * 60_000,
  );
});

describe('killing the process that runs a golden image build', () => {
  it(
    'takes mmdebstrap and everything below it down too',
    async () => {
      const tmp = await makeTempDir('banger-golden-kill-');
      try {
        const cli = `${tmp.path}/build-cli.mjs`;
        await esbuild({
          entryPoints: ['test/golden/helpers/build-cli.ts'],
          outfile: cli,
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node20',
          logLevel: 'warning',
          banner: {
            js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
          },
        });
        const dest = `${tmp.path}/image`;
        await mkdir(dest, { mode: 0o700 });
        const controller = new AbortController();
        let seenBusy = false;
        // The Runner's abort sends SIGTERM: Node has no handler, so the "daemon" dies on the spot, no cleanup runs.
        const result = await runner
          .run([process.execPath, cli, dest, `${tmp.path}/build.log`, defaultPackagesFile()], {
            signal: controller.signal,
            check: false,
            timeoutMs: 8 * 60_000,
            onOutput: (chunk, stream) => {
              if (
                stream === 'stdout' &&
                /installing essential packages/.test(chunk.toString()) &&
                !seenBusy
              ) {
                seenBusy = true;
                controller.abort();
              }
            },
          })
          .catch((err: unknown) => err);
        expect(seenBusy, String(result)).toBe(true);
        const killedAt = Date.now();
        let left = await processesUnder(dest);
        while (left.length > 0 && Date.now() - killedAt < 3000) {
          await new Promise((r) => setTimeout(r, 250));
          left = await processesUnder(dest);
        }
        console.log(
          `after killing the builder: ${left.length} processes left after ${Date.now() - killedAt} ms`,
        );
        expect(left).toEqual([]);
      } finally {
        await tmp.remove();
      }
    },
    10 * 60_000,
  );
});
