import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Compression } from '../../src/host/images/kernel/compression.js';
import { isElf64, pvhEntry } from '../../src/host/images/kernel/elf.js';
import { extractDeb, findKernelTree } from '../../src/host/images/kernel/kernel-tree.js';
import { syntheticBzImage, syntheticElf } from '../../src/host/images/kernel/testing/synthetic-elf.js';
import { extractVmlinux } from '../../src/host/images/kernel/vmlinux.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { testKernel, testKernelDeb } from '../support/kernel-fixture.js';
import { makeTempDir, type TempDir } from './support/temp-dir.js';

const runner = new SpawnRunner();

/** Compress like the kernel's build does (lz4 uses the legacy frame format). */
const COMPRESSORS: Record<Exclude<Compression, 'lzo'>, string> = {
  gzip: 'gzip -9 -n',
  xz: 'xz --check=crc32 -6',
  bzip2: 'bzip2 -9',
  lzma: 'xz --format=lzma -6',
  lz4: 'lz4 -l -9 -c',
  zstd: 'zstd -19 -c',
};

async function compress(command: string, data: Buffer): Promise<Buffer> {
  const { stdout } = await runner.run(['sh', '-c', `${command} | base64 -w0`], { input: data });
  return Buffer.from(stdout, 'base64');
}

describe('vmlinux extraction', () => {
  let tmp: TempDir;
  const elf = syntheticElf({ pvhEntry: 0x1000000, padTo: 64 * 1024 });
  beforeAll(async () => {
    tmp = await makeTempDir('banger-vmlinux-');
  });
  afterAll(async () => {
    await tmp.remove();
  });

  it.each(Object.entries(COMPRESSORS))('extracts a %s-compressed bzImage', async (format, command) => {
    const payload = await compress(command, elf);
    const image = syntheticBzImage(payload, elf.length, { appendSize: format !== 'gzip' });
    await writeFile(join(tmp.path, `vmlinuz-${format}`), image);
    const dest = join(tmp.path, `vmlinux-${format}`);
    const result = await extractVmlinux({
      runner,
      vmlinuz: join(tmp.path, `vmlinuz-${format}`),
      dest,
      requirePvh: true,
    });
    expect(result).toMatchObject({ compression: format, size: elf.length, pvhEntry: 0x1000000 });
    expect((await readFile(dest)).equals(elf)).toBe(true);
  });

  it('finds a payload by magic scan when there is no setup header', async () => {
    const payload = await compress(COMPRESSORS.xz, elf);
    await writeFile(
      join(tmp.path, 'raw'),
      Buffer.concat([Buffer.alloc(777, 0x55), payload, Buffer.alloc(99)]),
    );
    const result = await extractVmlinux({
      runner,
      vmlinuz: join(tmp.path, 'raw'),
      dest: join(tmp.path, 'raw.elf'),
    });
    expect(result.compression).toBe('xz');
  });

  it('copies an image that already is an ELF', async () => {
    await writeFile(join(tmp.path, 'plain'), elf);
    const result = await extractVmlinux({
      runner,
      vmlinuz: join(tmp.path, 'plain'),
      dest: join(tmp.path, 'plain.out'),
    });
    expect(result.compression).toBe('none');
  });

  it('rejects a kernel without the PVH note and leaves no output', async () => {
    const noPvh = syntheticElf({ padTo: 4096 });
    await writeFile(
      join(tmp.path, 'nopvh'),
      syntheticBzImage(await compress(COMPRESSORS.gzip, noPvh), noPvh.length, { appendSize: false }),
    );
    const dest = join(tmp.path, 'nopvh.out');
    await expect(
      extractVmlinux({ runner, vmlinuz: join(tmp.path, 'nopvh'), dest, requirePvh: true }),
    ).rejects.toMatchObject({
      code: 'host_unsupported',
      message: expect.stringMatching(/no PVH entry note/),
    });
    expect(
      (await readdir(tmp.path)).filter((f) => f.startsWith('nopvh.out') || f.includes('nopvh.out.')),
    ).toEqual([]);
  });

  it('rejects input that is not a kernel', async () => {
    await writeFile(join(tmp.path, 'junk'), Buffer.alloc(5000, 0x41));
    await expect(
      extractVmlinux({ runner, vmlinuz: join(tmp.path, 'junk'), dest: join(tmp.path, 'junk.out') }),
    ).rejects.toThrow(/neither an ELF nor a compressed kernel image/);
  });

  it('rejects a corrupted payload whose size does not match', async () => {
    const payload = await compress(COMPRESSORS.zstd, elf);
    const image = syntheticBzImage(payload, elf.length + 1);
    await writeFile(join(tmp.path, 'badsize'), image);
    await expect(
      extractVmlinux({ runner, vmlinuz: join(tmp.path, 'badsize'), dest: join(tmp.path, 'badsize.out') }),
    ).rejects.toThrow(/could not extract an ELF vmlinux/);
  });

  it("extracts Debian bookworm's cloud kernel: LZ4 payload, ELF with the PVH note", async () => {
    const kernel = await testKernel();
    const unpacked = join(tmp.path, 'deb');
    await runner.run(['mkdir', unpacked]);
    await extractDeb(runner, await testKernelDeb(), unpacked);
    const tree = await findKernelTree(unpacked);
    expect(tree.version).toBe(kernel.version);
    const result = await extractVmlinux({
      runner,
      vmlinuz: tree.vmlinuz,
      dest: join(tmp.path, 'debian-vmlinux'),
      requirePvh: true,
    });
    expect(result.compression).toBe('lz4');
    const out = await readFile(result.path);
    expect(isElf64(out)).toBe(true);
    expect(pvhEntry(out)).toBe(result.pvhEntry);
    expect(result.size).toBeGreaterThan(20_000_000);
  }, 300_000);
});
