import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSystemDisk,
  createWorkDisk,
  diskUsage,
  growWorkDisk,
  planWorkDiskFiles,
} from '../../src/host/disk/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { rejectionOf } from '../../src/testing/app-error.js';
import { catIn, expectFsckClean, fsBytes, lsIn, makeSeed, statIn } from './helpers.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const runner = new SpawnRunner();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-disk-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Names in `dir` that look like leftovers of an atomic build. */
async function leftovers(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.includes('.tmp-'));
}

describe('createSystemDisk', () => {
  it('makes a sparse, clean ext4 of the given size with root-owned upper/ and work/', async () => {
    const path = join(dir, 'system.ext4');
    await createSystemDisk(runner, path, 8 * GIB);
    const usage = await diskUsage(path);
    expect(usage.apparentBytes).toBe(8 * GIB);
    expect(usage.allocatedBytes).toBeLessThan(32 * MIB);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(fsBytes(path)).toBe(8 * GIB);
    expect(statIn(path, '/upper')).toMatchObject({ type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    expect(statIn(path, '/work')).toMatchObject({ type: 'directory', mode: 0o700, uid: 0, gid: 0 });
    expect(lsIn(path, '/upper')).toEqual([]);
    expectFsckClean(path);
    expect(await leftovers()).toEqual([]);
  });

  it('never replaces an existing file and refuses tiny sizes, leaving nothing behind', async () => {
    const path = join(dir, 'taken.ext4');
    await writeFile(path, 'precious');
    expect((await rejectionOf(createSystemDisk(runner, path, 64 * MIB))).code).toBe('conflict');
    expect((await stat(path)).size).toBe(8);
    const tiny = join(dir, 'tiny.ext4');
    const err = await rejectionOf(createSystemDisk(runner, tiny, 1024));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/too small; use at least 16M/);
    await expect(stat(tiny)).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });
});

describe('createWorkDisk', () => {
  let seed: string;
  const bigFile = Buffer.alloc(3 * MIB, 7);

  beforeAll(async () => {
    const tree = join(dir, 'seed-tree');
    await mkdir(join(tree, '.config', 'tool'), { recursive: true });
    await writeFile(join(tree, '.bashrc'), 'export PS1=banger\n');
    await writeFile(join(tree, '.config', 'tool', 'big'), bigFile);
    await chmod(join(tree, '.config', 'tool', 'big'), 0o640);
    await symlink('.config/tool/big', join(tree, 'link'));
    seed = join(dir, 'work-seed.ext4');
    makeSeed(tree, seed, 64 * MIB, { '/.bashrc': [1000, 1001], '/.config/tool': [1000, 1000] });
  });

  it('clones the seed with its files and owners and grows it to the requested size', async () => {
    const path = join(dir, 'work-seeded.ext4');
    await createWorkDisk(runner, { path, bytes: 2 * GIB, seed });
    expect(fsBytes(path)).toBe(2 * GIB);
    expect((await stat(path)).size).toBe(2 * GIB);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await diskUsage(path)).allocatedBytes).toBeLessThan(64 * MIB);
    expect(statIn(path, '/.bashrc')).toMatchObject({ type: 'regular', mode: 0o644, uid: 1000, gid: 1001 });
    expect(catIn(path, '/.bashrc').toString()).toBe('export PS1=banger\n');
    expect(statIn(path, '/.config/tool')).toMatchObject({ type: 'directory', uid: 1000, gid: 1000 });
    expect(statIn(path, '/.config/tool/big')).toMatchObject({ mode: 0o640, size: bigFile.length });
    expect(catIn(path, '/.config/tool/big').equals(bigFile)).toBe(true);
    expect(statIn(path, '/link')).toMatchObject({ type: 'symlink', target: '.config/tool/big' });
    expectFsckClean(path);
    // The seed itself is untouched.
    expect(fsBytes(seed)).toBe(64 * MIB);
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the seed size when asked for exactly that', async () => {
    const path = join(dir, 'work-same.ext4');
    await createWorkDisk(runner, { path, bytes: 64 * MIB, seed });
    expect(fsBytes(path)).toBe(64 * MIB);
    expectFsckClean(path);
  });

  it('refuses a size smaller than the seed and leaves nothing', async () => {
    const path = join(dir, 'work-small.ext4');
    const err = await rejectionOf(createWorkDisk(runner, { path, bytes: 32 * MIB, seed }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(
      /32M is smaller than the image's work seed \(64M\); use --disk-size 64M or more/,
    );
    await expect(stat(path)).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it('fails cleanly when the seed is not ext4', async () => {
    const bogus = join(dir, 'bogus-seed');
    await writeFile(bogus, Buffer.alloc(MIB));
    const path = join(dir, 'work-bogus.ext4');
    const err = await rejectionOf(createWorkDisk(runner, { path, bytes: GIB, seed: bogus }));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toContain('is not a readable ext4 filesystem');
    await expect(stat(path)).rejects.toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it('makes a fresh disk with a private root-owned /root when there is no seed', async () => {
    const path = join(dir, 'work-fresh.ext4');
    await createWorkDisk(runner, { path, bytes: 4 * GIB });
    expect(fsBytes(path)).toBe(4 * GIB);
    expect((await diskUsage(path)).allocatedBytes).toBeLessThan(32 * MIB);
    expect(statIn(path, '/')).toMatchObject({ type: 'directory', mode: 0o700, uid: 0, gid: 0 });
    expectFsckClean(path);
  });
});

describe('files written while the disk is built', () => {
  it('puts the key and the host key in before the disks take their names', async () => {
    const work = join(dir, 'work-files.ext4');
    const files = await planWorkDiskFiles({
      authorizedKey: 'ssh-ed25519 AAAA banger',
      fileSync: [],
      home: dir,
    });
    await createWorkDisk(runner, { path: work, bytes: 64 * MIB, files });
    expect(catIn(work, '/.ssh/authorized_keys').toString()).toBe('ssh-ed25519 AAAA banger\n');
    expect(statIn(work, '/.ssh/authorized_keys')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expectFsckClean(work);

    const system = join(dir, 'system-files.ext4');
    const key = '/upper/etc/ssh/ssh_host_ed25519_key';
    await createSystemDisk(runner, system, 64 * MIB, {
      files: [
        {
          kind: 'content',
          path: key,
          content: Buffer.from('K'),
          mode: 0o600,
          uid: 0,
          gid: 0,
          dirMode: 0o755,
        },
      ],
    });
    expect(statIn(system, key)).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(statIn(system, '/upper/etc')).toMatchObject({ mode: 0o755 });
    expectFsckClean(system);
  });

  it('leaves nothing when a file cannot be written', async () => {
    const work = join(dir, 'work-badfiles.ext4');
    const files = [
      {
        kind: 'content',
        path: '/lost+found',
        content: Buffer.from('x'),
        mode: 0o600,
        uid: 0,
        gid: 0,
      } as const,
    ];
    const err = await rejectionOf(createWorkDisk(runner, { path: work, bytes: 64 * MIB, files }));
    expect(err.message).toMatch(/lost\+found.*exists in the disk as a directory/);
    await expect(stat(work)).rejects.toThrow();
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-') || n.includes('.files-'))).toEqual([]);
  });
});

describe('growWorkDisk', () => {
  it('grows a disk, keeps its files, and refuses to shrink it', async () => {
    const path = join(dir, 'work-grow.ext4');
    await createWorkDisk(runner, { path, bytes: 256 * MIB });
    await growWorkDisk(runner, path, GIB);
    expect(fsBytes(path)).toBe(GIB);
    expect((await stat(path)).size).toBe(GIB);
    expect(statIn(path, '/')).toMatchObject({ mode: 0o700 });
    expectFsckClean(path);

    await growWorkDisk(runner, path, GIB); // same size: nothing to do
    expect(fsBytes(path)).toBe(GIB);

    const err = await rejectionOf(growWorkDisk(runner, path, 512 * MIB));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/is 1G and can only grow; use a --disk-size of 1G or more/);
    expect(fsBytes(path)).toBe(GIB);
    expectFsckClean(path);
  });
});
