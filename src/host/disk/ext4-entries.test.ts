import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandEntry, parentPaths, pathComponents } from './ext4-entries.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-entries-'));
  await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
  await writeFile(join(dir, 'tree', 'plain'), 'p');
  await writeFile(join(dir, 'tree', 'sub', 'exe'), 'e');
  await chmod(join(dir, 'tree', 'sub', 'exe'), 0o744);
  await symlink('/etc/hostname', join(dir, 'tree', 'abs-link'));
  await symlink(join(dir, 'tree'), join(dir, 'tree-link'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('paths inside the filesystem', () => {
  it('splits plain absolute paths and lists parents', () => {
    expect(pathComponents('/')).toEqual([]);
    expect(pathComponents('/a b/c')).toEqual(['a b', 'c']);
    expect(parentPaths('/upper/etc/ssh/key')).toEqual(['/upper', '/upper/etc', '/upper/etc/ssh']);
    expect(parentPaths('/x')).toEqual([]);
  });

  it.each(['x', '', '/a/', '/a//b', '/./a', '/a/..', '/a\rb'])('refuses %j', (p) => {
    expect(() => pathComponents(p)).toThrow(/cannot write/);
  });
});

describe('expandEntry', () => {
  const base = { uid: 0, gid: 0 };

  it('walks a tree (through a symlinked top) in name order: dirs get dirMode, executables keep x', async () => {
    const ops = await expandEntry({
      ...base,
      kind: 'copy',
      path: '/t',
      source: join(dir, 'tree-link'),
      mode: 0o640,
      dirMode: 0o750,
    });
    expect(ops).toEqual([
      { kind: 'dir', path: '/t', mode: 0o750, uid: 0, gid: 0 },
      { kind: 'symlink', path: '/t/abs-link', target: '/etc/hostname', uid: 0, gid: 0 },
      { kind: 'file', path: '/t/plain', mode: 0o640, uid: 0, gid: 0, from: join(dir, 'tree-link', 'plain') },
      { kind: 'dir', path: '/t/sub', mode: 0o750, uid: 0, gid: 0 },
      {
        kind: 'file',
        path: '/t/sub/exe',
        mode: 0o750,
        uid: 0,
        gid: 0,
        from: join(dir, 'tree-link', 'sub', 'exe'),
      },
    ]);
  });

  it('gives a single file exactly its mode', async () => {
    const ops = await expandEntry({
      ...base,
      kind: 'copy',
      path: '/e',
      source: join(dir, 'tree', 'sub', 'exe'),
      mode: 0o600,
    });
    expect(ops).toEqual([
      { kind: 'file', path: '/e', mode: 0o600, uid: 0, gid: 0, from: join(dir, 'tree', 'sub', 'exe') },
    ]);
  });

  it('refuses bad owners and modes', async () => {
    await expect(expandEntry({ ...base, uid: -1, kind: 'dir', path: '/d', mode: 0o700 })).rejects.toThrow(
      /uid and gid/,
    );
    await expect(
      expandEntry({ ...base, kind: 'dir', path: '/d', mode: 0o700, dirMode: 1.5 }),
    ).rejects.toThrow(/modes/);
  });
});
