import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BOOT_MODULES,
  buildInitramfs,
  type InitramfsResult,
} from '../../src/host/images/initramfs/build-initramfs.js';
import { INIT_SCRIPT } from '../../src/host/images/initramfs/init-script.js';
import { moduleDepends, moduleVermagic } from '../../src/host/images/initramfs/module-tree.js';
import { readNewc } from '../../src/host/images/initramfs/newc.js';
import { isStaticElf } from '../../src/host/images/kernel/elf.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { testKernel } from '../support/kernel-fixture.js';
import { makeTempDir, type TempDir } from './support/temp-dir.js';

const runner = new SpawnRunner();

describe("banger's initramfs for Debian's cloud kernel", () => {
  let tmp: TempDir;
  let result: InitramfsResult;
  let unpacked: string;
  let version: string;

  beforeAll(async () => {
    tmp = await makeTempDir('banger-initramfs-');
    const kernel = await testKernel();
    version = kernel.version;
    result = await buildInitramfs({
      runner,
      modulesDir: kernel.modulesDir,
      dest: join(tmp.path, 'initrd.img'),
    });
    unpacked = join(tmp.path, 'root');
    await runner.run(['mkdir', unpacked]);
    // Unpack with the real cpio, as an independent reader of our newc output.
    await runner.run(['sh', '-c', 'gzip -dc "$1" | cpio -idm --quiet', 'sh', result.path], { cwd: unpacked });
  }, 600_000);
  afterAll(async () => {
    await tmp.remove();
  });

  it('is a gzip newc archive with every entry owned by 0:0 and a small size', async () => {
    const entries = readNewc(gunzipSync(await readFile(result.path)));
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.filter((e) => e.uid !== 0 || e.gid !== 0)).toEqual([]);
    expect(result.size).toBeLessThan(4 * 1024 * 1024);
    expect(result.kernelVersion).toBe(version);
  });

  it('has /init with the boot contract, and it parses under busybox sh', async () => {
    expect(await readFile(join(unpacked, 'init'), 'utf8')).toBe(INIT_SCRIPT);
    expect((await lstat(join(unpacked, 'init'))).mode & 0o777).toBe(0o755);
    const check = await runner.run([join(unpacked, 'bin/busybox'), 'sh', '-n', join(unpacked, 'init')], {
      check: false,
    });
    expect(check.stderr).toBe('');
    expect(check.exitCode).toBe(0);
    expect(await readFile(join(unpacked, 'etc/banger/kernel-version'), 'utf8')).toBe(`${version}\n`);
  });

  it('carries static busybox and applet links for everything the init runs', async () => {
    expect(isStaticElf(await readFile(join(unpacked, 'bin/busybox')))).toBe(true);
    for (const applet of [
      'bin/sh',
      'bin/mount',
      'sbin/insmod',
      'sbin/ip',
      'sbin/switch_root',
      'sbin/reboot',
      'bin/usleep',
    ]) {
      expect(await readlink(join(unpacked, applet)), applet).toBe('/bin/busybox');
    }
    const dev = await lstat(join(unpacked, 'dev/console'));
    expect(dev.isCharacterDevice()).toBe(true);
  });

  it('holds each boot module with its dependencies, listed after them, for this kernel', async () => {
    const lines = (await readFile(join(unpacked, 'etc/banger/modules'), 'utf8')).trim().split('\n');
    const listed = lines.map((l) => l.split(' '));
    const names = listed.map(([name]) => name as string);
    for (const m of BOOT_MODULES.filter((r) => r.required)) {
      expect(names.includes(m.name) || result.builtin.includes(m.name), m.name).toBe(true);
    }
    expect(result.builtin).toEqual(expect.arrayContaining(['ext4', 'crc32c_generic']));
    for (const [index, [name, path, need]] of listed.entries()) {
      expect(need).toMatch(/^(required|optional)$/);
      const ko = await readFile(join(unpacked, 'lib/modules', version, path as string));
      expect(ko.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(moduleVermagic(ko)).toBe(version);
      for (const dep of moduleDepends(ko).map((d) => d.replaceAll('-', '_'))) {
        const at = names.indexOf(dep);
        expect(at, `${dep} (needed by ${name}) must load before it`).toBeGreaterThanOrEqual(0);
        expect(at).toBeLessThan(index);
      }
    }
    expect(names.slice(0, 3)).toContain('virtio');
    expect(names).toEqual(
      expect.arrayContaining([
        'virtio_mmio',
        'virtio_blk',
        'virtio_net',
        'net_failover',
        'overlay',
        // Debian's kernel has vsock as modules; a pulled image has none, so the initramfs carries them.
        'vsock',
        'vmw_vsock_virtio_transport_common',
        'vmw_vsock_virtio_transport',
      ]),
    );
  });

  it('is reproducible: the same inputs give the same bytes', async () => {
    const kernel = await testKernel();
    const again = await buildInitramfs({
      runner,
      modulesDir: kernel.modulesDir,
      dest: join(tmp.path, 'again.img'),
    });
    expect(again.sha256).toBe(result.sha256);
  });
});
