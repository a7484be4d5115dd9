import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKernelSet, removeStaleKernelTemps } from '../../src/host/images/kernel/kernel-set.js';
import { readKernelManifest } from '../../src/host/images/kernel/manifest.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { testKernel, testKernelDeb } from '../support/kernel-fixture.js';
import { SYNTHETIC_VERSION, writeSyntheticKernelTree } from './support/synthetic-kernel.js';
import { makeTempDir, type TempDir } from './support/temp-dir.js';

const runner = new SpawnRunner();
const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('kernel sets', () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir('banger-kset-');
  });
  afterAll(async () => {
    await tmp.remove();
  });

  it("builds vmlinux, initrd.img, modules/ and kernel.json from Debian's kernel .deb", async () => {
    const { version } = await testKernel();
    const dest = join(tmp.path, 'kernels', 'debian');
    const manifest = await buildKernelSet({
      runner,
      input: { kind: 'deb', deb: await testKernelDeb(), origin: { catalog: 'debian-bookworm-cloud' } },
      dest,
    });
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      version,
      source: { kind: 'deb', catalog: 'debian-bookworm-cloud' },
    });
    expect(manifest.vmlinux.compression).toBe('lz4');
    expect(manifest.vmlinux.pvhEntry).toBeGreaterThan(0);
    expect(manifest.vmlinux.sha256).toBe(await sha256(join(dest, 'vmlinux')));
    expect(manifest.initrd.sha256).toBe(await sha256(join(dest, 'initrd.img')));
    expect((await stat(join(dest, 'modules/kernel/fs/overlayfs/overlay.ko'))).isFile()).toBe(true);
    expect(await readKernelManifest(dest)).toEqual(manifest);
    expect((await readdir(join(tmp.path, 'kernels'))).sort()).toEqual(['debian']);
  }, 300_000);

  it('builds from an image rootfs with merged /usr, leaving the rootfs untouched', async () => {
    const root = join(tmp.path, 'rootfs');
    await writeSyntheticKernelTree(root);
    await mkdir(join(root, 'usr'));
    await rename(join(root, 'lib'), join(root, 'usr/lib'));
    await symlink('/usr/lib', join(root, 'lib')); // absolute, as some images have it: must resolve inside root
    const dest = join(tmp.path, 'kernels', 'from-rootfs');
    const manifest = await buildKernelSet({ runner, input: { kind: 'rootfs', root }, dest });
    expect(manifest).toMatchObject({ version: SYNTHETIC_VERSION, source: { kind: 'rootfs', root } });
    expect(manifest.initrd.modules).toEqual(expect.arrayContaining(['virtio_mmio', 'virtio_blk', 'overlay']));
    expect((await stat(join(dest, 'modules/kernel/drivers/virtio/virtio.ko'))).isFile()).toBe(true);
    expect(
      (
        await stat(join(root, 'usr/lib/modules', SYNTHETIC_VERSION, 'kernel/drivers/virtio/virtio.ko'))
      ).isFile(),
    ).toBe(true);
  });

  it('refuses to replace an existing kernel set', async () => {
    const root = join(tmp.path, 'rootfs2');
    await writeSyntheticKernelTree(root);
    const dest = join(tmp.path, 'kernels', 'dup');
    await buildKernelSet({ runner, input: { kind: 'rootfs', root }, dest });
    await expect(buildKernelSet({ runner, input: { kind: 'rootfs', root }, dest })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('leaves nothing behind when the build fails', async () => {
    const root = join(tmp.path, 'nokernel');
    await mkdir(join(root, 'boot'), { recursive: true });
    const parent = join(tmp.path, 'failing');
    await expect(
      buildKernelSet({ runner, input: { kind: 'rootfs', root }, dest: join(parent, 'k') }),
    ).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/no kernel in .*install a kernel package/),
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('removes temp dirs left by an interrupted build', async () => {
    const parent = join(tmp.path, 'stale');
    await mkdir(join(parent, '.kernel-tmp-k-abc/set'), { recursive: true });
    await mkdir(join(parent, 'real-set'));
    expect(await removeStaleKernelTemps(parent)).toEqual(['.kernel-tmp-k-abc']);
    expect(await readdir(parent)).toEqual(['real-set']);
  });
});
