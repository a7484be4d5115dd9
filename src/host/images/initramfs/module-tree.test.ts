import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { syntheticElf } from '../kernel/testing/synthetic-elf.js';
import {
  indexModuleTree,
  moduleDepends,
  moduleNameFromPath,
  moduleVermagic,
  parseModinfo,
  readModuleFile,
  treeLookup,
} from './module-tree.js';

const VER = '6.1.0-50-cloud-amd64';
const ko = (depends: string) =>
  syntheticElf({
    modinfo: [`depends=${depends}`, 'alias=a1', 'alias=a2', `vermagic=${VER} SMP mod_unload modversions `],
  });

describe('module metadata', () => {
  it('reads depends, vermagic and repeated keys from .modinfo', () => {
    const mod = ko('virtio,virtio_ring');
    expect(moduleDepends(mod)).toEqual(['virtio', 'virtio_ring']);
    expect(moduleDepends(ko(''))).toEqual([]);
    expect(moduleVermagic(mod)).toBe(VER);
    expect(parseModinfo(mod).get('alias')).toEqual(['a1', 'a2']);
  });

  it('derives module names from file names', () => {
    expect(moduleNameFromPath('kernel/arch/x86/crypto/crc32c-intel.ko.zst')).toBe('crc32c_intel');
    expect(moduleNameFromPath('kernel/fs/overlayfs/overlay.ko')).toBe('overlay');
  });
});

describe('module trees', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'banger-modtree-'));
    await mkdir(join(dir, 'kernel/drivers/virtio'), { recursive: true });
    await mkdir(join(dir, 'updates'), { recursive: true });
    await writeFile(join(dir, 'kernel/drivers/virtio/virtio.ko'), ko(''));
    await writeFile(join(dir, 'kernel/drivers/virtio/virtio_mmio.ko.gz'), gzipSync(ko('virtio')));
    await writeFile(join(dir, 'kernel/drivers/virtio/overlay.ko'), ko(''));
    await writeFile(join(dir, 'updates/overlay.ko'), ko('virtio'));
    await writeFile(
      join(dir, 'modules.builtin'),
      'kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n',
    );
    await symlink('/nonexistent/build', join(dir, 'build'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('indexes module files and built-ins, preferring updates/ and skipping symlinks', async () => {
    const tree = await indexModuleTree(dir);
    expect(Object.fromEntries(tree.files)).toEqual({
      virtio: 'kernel/drivers/virtio/virtio.ko',
      virtio_mmio: 'kernel/drivers/virtio/virtio_mmio.ko.gz',
      overlay: 'updates/overlay.ko',
    });
    expect([...tree.builtin]).toEqual(['ext4', 'crc32c_generic']);
  });

  it('looks modules up decompressed, with plain .ko paths for the initramfs', async () => {
    const lookup = treeLookup(new FakeRunner(), await indexModuleTree(dir));
    const mmio = await lookup('virtio_mmio');
    expect(mmio).toMatchObject({
      kind: 'file',
      relPath: 'kernel/drivers/virtio/virtio_mmio.ko',
      deps: ['virtio'],
    });
    expect(await lookup('ext4')).toEqual({ kind: 'builtin' });
    expect(await lookup('nope')).toBeUndefined();
  });

  it('decompresses .ko.xz with the host tool through the runner', async () => {
    const runner = new FakeRunner().on(['sh', '-c'], { exitCode: 1, stderr: 'xz: corrupt' });
    await writeFile(join(dir, 'broken.ko.xz'), 'not xz');
    await expect(readModuleFile(runner, join(dir, 'broken.ko.xz'))).rejects.toThrow(
      /could not decompress .*xz: corrupt/,
    );
    expect(runner.calls[0]?.slice(-2)).toEqual(['xz', '-dc']);
  });
});
