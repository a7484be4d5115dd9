import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { buildExt4, ext4Geometry, measureTree } from './ext4.js';

const MIB = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-ext4-unit-'));
  await mkdir(join(dir, 'root', 'sub'), { recursive: true });
  await writeFile(join(dir, 'root', 'sub', 'a'), Buffer.alloc(5000));
  await writeFile(join(dir, 'root', 'b'), 'b');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ext4 geometry', () => {
  it('measures blocks and inodes of a tree', async () => {
    // Blocks: the root and sub directories, a (5000 bytes: 2 blocks), b (1 block). Inodes: root, sub, a, b.
    expect(await measureTree(join(dir, 'root'))).toEqual({ blockBytes: 4096 * 5, inodes: 4 });
  });

  it('adds headroom and grows with the content', () => {
    const small = ext4Geometry({ blockBytes: 0, inodes: 1 });
    expect(small.bytes).toBeGreaterThanOrEqual(64 * MIB);
    expect(small.bytes % MIB).toBe(0);
    const big = ext4Geometry({ blockBytes: 1000 * MIB, inodes: 20_000 });
    expect(big.bytes).toBeGreaterThan(1100 * MIB);
    expect(big.inodes).toBeGreaterThan(22_000);
    const tight = ext4Geometry(
      { blockBytes: 1000 * MIB, inodes: 20_000 },
      { headroomRatio: 0, headroomBytes: 0 },
    );
    expect(tight.bytes).toBeLessThan(big.bytes);
  });
});

describe('buildExt4', () => {
  it('runs mkfs.ext4 -d with the image root owner into a sparse file of the computed size', async () => {
    const runner = new FakeRunner().on(['mkfs.ext4'], {});
    const output = join(dir, 'out.ext4');
    const { bytes } = await buildExt4({
      root: join(dir, 'root'),
      output,
      runner,
      rootOwner: { uid: 5, gid: 6 },
      ext4: { label: 'img' },
    });
    expect((await stat(output)).size).toBe(bytes);
    const argv = runner.calls[0] ?? [];
    expect(argv.slice(0, 3)).toEqual(['mkfs.ext4', '-q', '-F']);
    expect(argv).toContain('root_owner=5:6');
    expect(argv.slice(-3)).toEqual(['-d', join(dir, 'root'), output]);
    expect(argv[argv.indexOf('-L') + 1]).toBe('img');
  });

  it('retries with a bigger file when mkfs runs out of space, then gives up', async () => {
    let calls = 0;
    const runner = new FakeRunner().on(['mkfs.ext4'], () => {
      calls++;
      return calls < 3
        ? { exitCode: 1, stderr: '__populate_fs: Could not allocate block in ext2 filesystem' }
        : {};
    });
    const output = join(dir, 'out.ext4');
    const { bytes } = await buildExt4({
      root: join(dir, 'root'),
      output,
      runner,
      rootOwner: { uid: 0, gid: 0 },
    });
    expect(calls).toBe(3);
    expect(bytes).toBeGreaterThan(ext4Geometry(await measureTree(join(dir, 'root'))).bytes * 2);

    const full = new FakeRunner().on(['mkfs.ext4'], { exitCode: 1, stderr: 'No space left on device' });
    await expect(
      buildExt4({ root: join(dir, 'root'), output, runner: full, rootOwner: { uid: 0, gid: 0 } }),
    ).rejects.toThrow(/No space left/);
    expect(full.calls).toHaveLength(3);
  });

  it('does not retry other failures', async () => {
    const runner = new FakeRunner().on(['mkfs.ext4'], { exitCode: 1, stderr: 'invalid option' });
    await expect(
      buildExt4({ root: join(dir, 'root'), output: join(dir, 'x'), runner, rootOwner: { uid: 0, gid: 0 } }),
    ).rejects.toThrow(/invalid option/);
    expect(runner.calls).toHaveLength(1);
  });
});
