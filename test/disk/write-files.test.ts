import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createSystemDisk,
  createWorkDisk,
  type Ext4FileEntry,
  planWorkDiskFiles,
  writeFilesIntoExt4,
} from '../../src/host/disk/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { rejectionOf } from '../../src/testing/app-error.js';
import { catIn, expectFsckClean, lsIn, makeSeed, statIn } from './helpers.js';

const MIB = 1024 * 1024;
const runner = new SpawnRunner();
let dir: string;
let host: string;
let image: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-write-'));
  host = join(dir, 'host');
  await mkdir(join(host, 'tree', 'sub', 'deeper'), { recursive: true });
  await writeFile(join(host, 'tree', 'config'), '[default]\nregion = eu\n');
  await writeFile(join(host, 'tree', 'sub', 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(host, 'tree', 'sub', 'run.sh'), 0o755);
  await writeFile(join(host, 'tree', 'sub', 'deeper', 'blob'), randomBytes(300_000));
  await symlink('../config', join(host, 'tree', 'sub', 'cfg-link'));
  await symlink(`/${'x'.repeat(100)}/slow-target`, join(host, 'tree', 'long-link'));
  execFileSync('mkfifo', [join(host, 'tree', 'fifo')]);
  await writeFile(join(host, 'single'), 'single file\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  image = join(dir, `work-${n++}.ext4`);
  await createWorkDisk(runner, { path: image, bytes: 64 * MIB });
});

const root = { uid: 0, gid: 0 };

describe('writeFilesIntoExt4', () => {
  it('writes contents byte-identical with modes and owners, creating nested parents', async () => {
    const big = randomBytes(2 * MIB + 123);
    await writeFilesIntoExt4(runner, image, [
      { ...root, kind: 'content', path: '/a/b/c/secret', content: Buffer.from('s3cret\n'), mode: 0o600 },
      { ...root, kind: 'content', path: '/bin/tool', content: big, mode: 0o755, dirMode: 0o755 },
      {
        uid: 1000,
        gid: 1000,
        kind: 'content',
        path: '/user file "quoted"',
        content: Buffer.from('x'),
        mode: 0o640,
      },
      { ...root, kind: 'dir', path: '/empty', mode: 0o750 },
    ]);
    expect(catIn(image, '/a/b/c/secret').toString()).toBe('s3cret\n');
    expect(statIn(image, '/a/b/c/secret')).toMatchObject({ type: 'regular', mode: 0o600, uid: 0, gid: 0 });
    for (const d of ['/a', '/a/b', '/a/b/c']) {
      expect(statIn(image, d)).toMatchObject({ type: 'directory', mode: 0o700, uid: 0, gid: 0 });
    }
    expect(catIn(image, '/bin/tool').equals(big)).toBe(true);
    expect(statIn(image, '/bin/tool')).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
    expect(statIn(image, '/bin')).toMatchObject({ mode: 0o755 });
    expect(statIn(image, '/user file "quoted"')).toMatchObject({ mode: 0o640, uid: 1000, gid: 1000 });
    expect(statIn(image, '/empty')).toMatchObject({ type: 'directory', mode: 0o750 });
    // The root directory is left as it was (0700 on a fresh work disk), and no staging files remain.
    expect(statIn(image, '/')).toMatchObject({ mode: 0o700 });
    expect((await readdir(dir)).filter((x) => x.includes('.files-'))).toEqual([]);
    expectFsckClean(image);
  });

  it('replaces existing files and symlinks, and re-modes an existing directory', async () => {
    await writeFilesIntoExt4(runner, image, [
      {
        ...root,
        kind: 'content',
        path: '/d/f',
        content: Buffer.from('old contents that are longer'),
        mode: 0o644,
      },
      { ...root, kind: 'copy', path: '/d/l', source: join(host, 'single'), mode: 0o600 },
    ]);
    await writeFilesIntoExt4(runner, image, [
      { ...root, kind: 'content', path: '/d/f', content: Buffer.from('new'), mode: 0o600 },
      { ...root, kind: 'dir', path: '/d', mode: 0o755 },
    ]);
    expect(catIn(image, '/d/f').toString()).toBe('new');
    expect(statIn(image, '/d/f')).toMatchObject({ mode: 0o600, size: 3 });
    expect(statIn(image, '/d')).toMatchObject({ mode: 0o755 });
    expect(lsIn(image, '/d')).toEqual(['f', 'l']);
    expectFsckClean(image);
  });

  it('copies a host directory tree with symlinks as symlinks, keeping scripts executable, skipping a FIFO', async () => {
    await writeFilesIntoExt4(runner, image, [
      { ...root, kind: 'copy', path: '/.aws', source: join(host, 'tree'), mode: 0o600 },
      { ...root, kind: 'copy', path: '/one/single', source: join(host, 'single'), mode: 0o644 },
    ]);
    expect(lsIn(image, '/.aws')).toEqual(['config', 'long-link', 'sub']);
    expect(lsIn(image, '/.aws/sub')).toEqual(['cfg-link', 'deeper', 'run.sh']);
    expect(statIn(image, '/.aws')).toMatchObject({ type: 'directory', mode: 0o700, uid: 0, gid: 0 });
    expect(statIn(image, '/.aws/sub/deeper')).toMatchObject({ type: 'directory', mode: 0o700 });
    expect(statIn(image, '/.aws/config')).toMatchObject({ type: 'regular', mode: 0o600, uid: 0, gid: 0 });
    expect(statIn(image, '/.aws/sub/run.sh')).toMatchObject({ mode: 0o700 });
    expect(
      catIn(image, '/.aws/sub/deeper/blob').equals(
        execFileSync('cat', [join(host, 'tree', 'sub', 'deeper', 'blob')]),
      ),
    ).toBe(true);
    expect(statIn(image, '/.aws/sub/cfg-link')).toMatchObject({
      type: 'symlink',
      target: '../config',
      uid: 0,
      gid: 0,
    });
    expect(statIn(image, '/.aws/long-link')).toMatchObject({
      type: 'symlink',
      target: `/${'x'.repeat(100)}/slow-target`,
    });
    expect(catIn(image, '/one/single').toString()).toBe('single file\n');
    expect(statIn(image, '/one/single')).toMatchObject({ mode: 0o644 });
    expectFsckClean(image);
  });

  it('places the SSH host key under upper/etc/ssh of a system disk with 0755 parents', async () => {
    const system = join(dir, `system-${n++}.ext4`);
    await createSystemDisk(runner, system, 64 * MIB);
    await writeFilesIntoExt4(runner, system, [
      {
        ...root,
        kind: 'content',
        path: '/upper/etc/ssh/ssh_host_ed25519_key',
        content: Buffer.from('KEY\n'),
        mode: 0o600,
        dirMode: 0o755,
      },
      {
        ...root,
        kind: 'content',
        path: '/upper/etc/ssh/ssh_host_ed25519_key.pub',
        content: Buffer.from('PUB\n'),
        mode: 0o644,
        dirMode: 0o755,
      },
    ]);
    expect(statIn(system, '/upper/etc')).toMatchObject({ type: 'directory', mode: 0o755, uid: 0, gid: 0 });
    expect(statIn(system, '/upper/etc/ssh')).toMatchObject({ mode: 0o755 });
    expect(statIn(system, '/upper/etc/ssh/ssh_host_ed25519_key')).toMatchObject({
      mode: 0o600,
      uid: 0,
      gid: 0,
    });
    expect(catIn(system, '/upper/etc/ssh/ssh_host_ed25519_key').toString()).toBe('KEY\n');
    expect(lsIn(system, '/work')).toEqual([]);
    expectFsckClean(system);
  });

  it('refuses bad entries and clashes before writing anything', async () => {
    const ok = { ...root, kind: 'content', path: '/first', content: Buffer.from('1'), mode: 0o600 } as const;
    await writeFilesIntoExt4(runner, image, [
      { ...root, kind: 'dir', path: '/adir', mode: 0o700 },
      { ...root, kind: 'content', path: '/afile', content: Buffer.from('f'), mode: 0o600 },
    ]);
    await writeFilesIntoExt4(runner, image, [
      { ...root, kind: 'copy', path: '/alink', source: join(host, 'single'), mode: 0o600 },
    ]);
    // Make /alink a real symlink in the image, to check nothing is written through it.
    execFileSync('debugfs', ['-w', '-R', 'rm /alink', image], { stdio: 'ignore' });
    execFileSync('debugfs', ['-w', '-R', 'symlink /alink /adir', image], { stdio: 'ignore' });
    const before = lsIn(image, '/');
    const cases: [Ext4FileEntry, RegExp][] = [
      [{ ...ok, path: 'relative' }, /must be absolute/],
      [{ ...ok, path: '/a/../etc' }, /"\.\."/],
      [{ ...ok, path: '/a/./b' }, /"\."/],
      [{ ...ok, path: '/a//b' }, /empty/],
      [{ ...ok, path: '/a\nb' }, /line break/],
      [{ ...ok, path: '/' }, /only a directory/],
      [{ ...ok, mode: 0o10000 }, /modes must be/],
      [{ ...ok, path: '/adir' }, /exists in the disk as a directory/],
      [{ ...ok, path: '/afile/x' }, /exists in the disk as a file, not a directory/],
      [{ ...ok, path: '/alink/x' }, /as a symlink, not a directory; refusing to write through it/],
      [{ ...root, kind: 'dir', path: '/afile', mode: 0o700 }, /as a file, not a directory/],
      [
        { ...root, kind: 'copy', path: '/c', source: join(host, 'missing'), mode: 0o600 },
        /host path .*missing does not exist/,
      ],
      [
        { ...root, kind: 'copy', path: '/c', source: join(host, 'tree', 'fifo'), mode: 0o600 },
        /not a regular file or directory/,
      ],
    ];
    for (const [bad, message] of cases) {
      const err = await rejectionOf(writeFilesIntoExt4(runner, image, [ok, bad]));
      expect(err.code, bad.path).toBe('invalid_argument');
      expect(err.message).toMatch(message);
    }
    expect(lsIn(image, '/')).toEqual(before);
    expect(before).not.toContain('first');
    expect(lsIn(image, '/adir')).toEqual([]);
    expectFsckClean(image);
  });
});

describe('planWorkDiskFiles + writeFilesIntoExt4 on a seeded work disk', () => {
  it('normalises /root and /root/.ssh and installs the key over whatever the seed had', async () => {
    const tree = join(dir, 'seed-tree');
    await mkdir(join(tree, '.ssh'), { recursive: true });
    await writeFile(join(tree, '.ssh', 'authorized_keys'), 'ssh-ed25519 OLD old\n');
    await chmod(join(tree, '.ssh'), 0o777);
    await chmod(tree, 0o755);
    const seed = join(dir, 'seed.ext4');
    makeSeed(tree, seed, 32 * MIB, { '/.ssh': [1000, 1000], '/.ssh/authorized_keys': [1000, 1000] });
    const work = join(dir, `seeded-${n++}.ext4`);
    await createWorkDisk(runner, { path: work, bytes: 64 * MIB, seed });
    const home = join(dir, 'home');
    await mkdir(join(home, '.config', 'gh'), { recursive: true });
    await writeFile(join(home, '.config', 'gh', 'hosts.yml'), 'github.com: {}\n');
    const entries = await planWorkDiskFiles({
      authorizedKey: 'ssh-ed25519 AAAAnew banger\n',
      fileSync: [
        { host: '~/.config/gh/hosts.yml', guest: '~/.config/gh/hosts.yml' },
        { host: join(host, 'tree'), guest: '/root/.aws' },
      ],
      home,
    });
    await writeFilesIntoExt4(runner, work, entries);
    expect(statIn(work, '/')).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
    expect(statIn(work, '/.ssh')).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
    expect(statIn(work, '/.ssh/authorized_keys')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(catIn(work, '/.ssh/authorized_keys').toString()).toBe('ssh-ed25519 AAAAnew banger\n');
    expect(catIn(work, '/.config/gh/hosts.yml').toString()).toBe('github.com: {}\n');
    expect(statIn(work, '/.config/gh/hosts.yml')).toMatchObject({ mode: 0o600, uid: 0, gid: 0 });
    expect(statIn(work, '/.config')).toMatchObject({ mode: 0o700, uid: 0, gid: 0 });
    expect(statIn(work, '/.aws/sub/run.sh')).toMatchObject({ mode: 0o700 });
    expectFsckClean(work);
  });
});
