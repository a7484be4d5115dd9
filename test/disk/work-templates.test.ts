import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkDisk, type Ext4FileEntry, WorkDiskTemplates } from '../../src/host/disk/index.js';
import { type Runner, type RunOptions, type RunResult, SpawnRunner } from '../../src/host/runner.js';
import { rejectionOf } from '../../src/testing/app-error.js';
import { catIn, expectFsckClean, makeSeed, statIn } from './helpers.js';

const MIB = 1024 * 1024;

/** The real runner, noting the program of every command it runs. */
class CountingRunner implements Runner {
  readonly programs: string[] = [];
  private readonly real = new SpawnRunner();
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.programs.push(argv[0] ?? '');
    return this.real.run(argv, options);
  }
}

let dir: string;
let seed: string;
let n = 0;
const key = (text: string): Ext4FileEntry => ({
  kind: 'content',
  path: '/.ssh/authorized_keys',
  content: Buffer.from(text),
  mode: 0o600,
  uid: 0,
  gid: 0,
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-templates-'));
  const tree = join(dir, 'tree');
  await mkdir(join(tree, 'project', 'src'), { recursive: true });
  await writeFile(join(tree, 'project', 'src', 'main.c'), 'int main(void) { return 0; }\n');
  await writeFile(join(tree, 'notes'), 'from the seed\n');
  seed = join(dir, 'work-seed.ext4');
  makeSeed(tree, seed, 32 * MIB, {});
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('WorkDiskTemplates', () => {
  it('prepares the seed once per size; each later disk is one copy and one debugfs pass, with the same contents', async () => {
    const runner = new CountingRunner();
    const templates = new WorkDiskTemplates(runner, join(dir, 'cache-a'));
    const first = join(dir, `work-${n++}.ext4`);
    await createWorkDisk(runner, { path: first, bytes: 64 * MIB, seed, files: [key('one\n')], templates });
    expect(runner.programs).toEqual(['dumpe2fs', 'cp', 'e2fsck', 'resize2fs', 'cp', 'debugfs', 'debugfs']);

    runner.programs.length = 0;
    const second = join(dir, `work-${n++}.ext4`);
    await createWorkDisk(runner, { path: second, bytes: 64 * MIB, seed, files: [key('two\n')], templates });
    expect(runner.programs).toEqual(['cp', 'debugfs']);

    for (const [disk, text] of [
      [first, 'one\n'],
      [second, 'two\n'],
    ] as const) {
      expect(catIn(disk, '/notes').toString()).toBe('from the seed\n');
      expect(catIn(disk, '/project/src/main.c').toString()).toContain('int main');
      expect(catIn(disk, '/.ssh/authorized_keys').toString()).toBe(text);
      expect(statIn(disk, '/.ssh/authorized_keys')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
      expect((await stat(disk)).size).toBe(64 * MIB);
      expect((await stat(disk)).mode & 0o777).toBe(0o600);
      expectFsckClean(disk);
    }
    // The template takes no VM's files.
    const [template] = await readdir(join(dir, 'cache-a'));
    expect(template).toMatch(/^[0-9a-f]{24}-67108864\.ext4$/);
    expect(statIn(join(dir, 'cache-a', template ?? ''), '/.ssh')).toBeUndefined();
    expect((await stat(join(dir, 'cache-a'))).mode & 0o777).toBe(0o700);
  });

  it('still refuses a file where the seed has a directory (from the remembered look), writing nothing', async () => {
    const runner = new CountingRunner();
    const templates = new WorkDiskTemplates(runner, join(dir, 'cache-b'));
    const clash: Ext4FileEntry = { ...key('x'), path: '/project/src' };
    const path = join(dir, `work-${n++}.ext4`);
    await createWorkDisk(runner, { path, bytes: 64 * MIB, seed, files: [key('ok\n')], templates });
    for (let i = 0; i < 2; i++) {
      const refused = join(dir, `work-${n++}.ext4`);
      const err = await rejectionOf(
        createWorkDisk(runner, { path: refused, bytes: 64 * MIB, seed, files: [clash], templates }),
      );
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toContain('/project/src');
      await expect(stat(refused)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('makes a new template when the seed changes, shares one build between concurrent creates, and keeps at most four', async () => {
    const runner = new CountingRunner();
    const cache = join(dir, 'cache-c');
    const templates = new WorkDiskTemplates(runner, cache);
    const create = (bytes: number) =>
      createWorkDisk(runner, {
        path: join(dir, `work-${n++}.ext4`),
        bytes,
        seed,
        files: [key('k\n')],
        templates,
      });
    await Promise.all([create(64 * MIB), create(64 * MIB), create(64 * MIB)]);
    expect(runner.programs.filter((p) => p === 'e2fsck')).toHaveLength(1);
    expect(await readdir(cache)).toHaveLength(1);

    // A rebuilt seed (new mtime) never reuses the old template.
    const later = new Date(Date.now() + 5000);
    await utimes(seed, later, later);
    runner.programs.length = 0;
    await create(64 * MIB);
    expect(runner.programs.filter((p) => p === 'e2fsck')).toHaveLength(1);
    expect(await readdir(cache)).toHaveLength(2);

    for (const size of [48, 80, 96, 112]) await create(size * MIB);
    const left = await readdir(cache);
    expect(left).toHaveLength(4);
    // The most recently used sizes stay.
    expect(left.map((f) => Number(f.split('-')[1]?.split('.')[0]) / MIB).sort((a, b) => a - b)).toEqual([
      48, 80, 96, 112,
    ]);
    // A pruned size is rebuilt when asked again.
    runner.programs.length = 0;
    await create(64 * MIB);
    expect(runner.programs.filter((p) => p === 'e2fsck')).toHaveLength(1);
  });
});
