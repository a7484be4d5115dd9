import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { defaultOwnershipMode, diskMode, ownershipScript } from './ownership.js';
import type { Owner } from './root-tree.js';

const owners = new Map<string, Owner>([
  ['', { uid: 0, gid: 0, mode: 0o755, kind: 'dir' }],
  ['usr/bin/su', { uid: 0, gid: 0, mode: 0o4755, kind: 'file' }],
  ['home/u', { uid: 1000, gid: 1000, mode: 0o500, kind: 'dir' }],
  ['etc/shadow', { uid: 0, gid: 42, mode: 0o040, kind: 'file' }],
  ['bin', { uid: 0, gid: 0, mode: 0o777, kind: 'symlink' }],
  ['odd "name"', { uid: 7, gid: 8, mode: 0o644, kind: 'file' }],
]);

describe('ownershipScript', () => {
  it('as root only fixes a root directory mode other than 0755', () => {
    expect(ownershipScript(owners, 'chown')).toEqual([]);
    const root0700 = new Map(owners).set('', { uid: 0, gid: 0, mode: 0o700, kind: 'dir' });
    expect(ownershipScript(root0700, 'chown')).toEqual(['set_inode_field "/" mode 040700']);
  });

  it('unprivileged sets every owner, and modes that were widened on disk', () => {
    expect(ownershipScript(owners, 'debugfs')).toEqual([
      'set_inode_field "/usr/bin/su" uid 0',
      'set_inode_field "/usr/bin/su" gid 0',
      'set_inode_field "/home/u" uid 1000',
      'set_inode_field "/home/u" gid 1000',
      'set_inode_field "/home/u" mode 040500',
      'set_inode_field "/etc/shadow" uid 0',
      'set_inode_field "/etc/shadow" gid 42',
      'set_inode_field "/etc/shadow" mode 0100040',
      'set_inode_field "/bin" uid 0',
      'set_inode_field "/bin" gid 0',
      'set_inode_field "/odd ""name""" uid 7',
      'set_inode_field "/odd ""name""" gid 8',
    ]);
  });

  it('refuses names a debugfs script cannot express', () => {
    const bad = new Map<string, Owner>([['a\nb', { uid: 0, gid: 0, mode: 0o644, kind: 'file' }]]);
    expect(() => ownershipScript(bad, 'debugfs')).toThrow(AppError);
    expect(() => ownershipScript(bad, 'debugfs')).toThrow(/line break.*run the daemon as root/);
  });

  it('refuses a name too long for one debugfs command line, but not as root', () => {
    const long = new Map<string, Owner>([
      ['', { uid: 0, gid: 0, mode: 0o755, kind: 'dir' }],
      [`${'"'.repeat(255)}/`.repeat(16).slice(0, -1), { uid: 0, gid: 0, mode: 0o644, kind: 'file' }],
    ]);
    let err: unknown;
    try {
      ownershipScript(long, 'debugfs');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('operation_failed');
    expect((err as AppError).message).toMatch(
      /^the image has a file name the unprivileged ext4 build cannot express: the path .* is too long for a debugfs command .*; run the daemon as root to pull this image$/,
    );
    expect(ownershipScript(long, 'chown')).toEqual([]);
  });
});

describe('diskMode', () => {
  it('keeps files owner-readable and directories owner-writable when unprivileged', () => {
    expect(diskMode({ uid: 0, gid: 0, mode: 0o000, kind: 'file' }, 'debugfs')).toBe(0o400);
    expect(diskMode({ uid: 0, gid: 0, mode: 0o555, kind: 'dir' }, 'debugfs')).toBe(0o755);
    expect(diskMode({ uid: 0, gid: 0, mode: 0o4755, kind: 'file' }, 'chown')).toBe(0o4755);
    expect(diskMode({ uid: 0, gid: 0, mode: 0o777, kind: 'symlink' }, 'debugfs')).toBe(0o777);
  });

  it('as root, is exactly the image mode, even one the daemon could not read', () => {
    expect(diskMode({ uid: 0, gid: 0, mode: 0o000, kind: 'file' }, 'chown')).toBe(0o000);
    expect(diskMode({ uid: 0, gid: 0, mode: 0o555, kind: 'dir' }, 'chown')).toBe(0o555);
  });

  it('is 0777 for a symlink whatever mode is recorded: Linux ignores a symlink mode', () => {
    for (const mode of ['chown', 'debugfs'] as const) {
      expect(diskMode({ uid: 0, gid: 0, mode: 0o644, kind: 'symlink' }, mode), mode).toBe(0o777);
    }
  });
});

describe('ownership edges', () => {
  const one = (key: string, owner: Owner) => new Map<string, Owner>([[key, owner]]);

  it('picks chown as root and debugfs otherwise, and where there is no geteuid', () => {
    const geteuid = process.geteuid;
    const modes: unknown[] = [];
    try {
      for (const euid of [0, 1000, undefined]) {
        process.geteuid = euid === undefined ? undefined : () => euid;
        modes.push(defaultOwnershipMode());
      }
    } finally {
      process.geteuid = geteuid;
    }
    expect(modes).toEqual(['chown', 'debugfs', 'debugfs']);
  });

  it('never sets a symlink mode, whatever is recorded for it', () => {
    expect(ownershipScript(one('l', { uid: 1, gid: 2, mode: 0o644, kind: 'symlink' }), 'debugfs')).toEqual([
      'set_inode_field "/l" uid 1',
      'set_inode_field "/l" gid 2',
    ]);
  });

  it('writes no mode line when the disk mode already is the image mode', () => {
    expect(ownershipScript(one('d', { uid: 1, gid: 2, mode: 0o700, kind: 'dir' }), 'debugfs')).toEqual([
      'set_inode_field "/d" uid 1',
      'set_inode_field "/d" gid 2',
    ]);
    expect(ownershipScript(one('f', { uid: 1, gid: 2, mode: 0o4644, kind: 'file' }), 'debugfs')).toEqual([
      'set_inode_field "/f" uid 1',
      'set_inode_field "/f" gid 2',
    ]);
    expect(ownershipScript(one('f', { uid: 1, gid: 2, mode: 0o2311, kind: 'file' }), 'debugfs')).toEqual([
      'set_inode_field "/f" uid 1',
      'set_inode_field "/f" gid 2',
      'set_inode_field "/f" mode 0102311',
    ]);
  });

  it('sets a root directory mode other than 0755 in both modes, and never its owner', () => {
    const root = one('', { uid: 5, gid: 6, mode: 0o1777, kind: 'dir' });
    expect(ownershipScript(root, 'debugfs')).toEqual(['set_inode_field "/" mode 041777']);
    expect(ownershipScript(one('', { uid: 5, gid: 6, mode: 0o755, kind: 'dir' }), 'debugfs')).toEqual([]);
  });

  it('names a carriage return too, shown escaped', () => {
    const bad = one('a\rb', { uid: 0, gid: 0, mode: 0o644, kind: 'file' });
    expect(() => ownershipScript(bad, 'debugfs')).toThrow(
      'the image has a file name with a line break ("a\\nb"), which the unprivileged ext4 build cannot express; run the daemon as root to pull this image',
    );
    expect(() => ownershipScript(bad, 'chown')).toThrow(/line break/);
  });

  it('keeps the details of a too-long name and its cause', () => {
    const key = `${'"'.repeat(255)}/`.repeat(16).slice(0, -1);
    let err: unknown;
    try {
      ownershipScript(one(key, { uid: 0, gid: 0, mode: 0o644, kind: 'file' }), 'debugfs');
    } catch (e) {
      err = e;
    }
    expect((err as AppError).cause).toBeInstanceOf(AppError);
    expect((err as AppError).details).toEqual(((err as AppError).cause as AppError).details);
    const cause = (err as AppError).cause as AppError;
    expect(cause.message).toMatch(/; shorten it$/);
    expect((err as AppError).message).toBe(
      `the image has a file name the unprivileged ext4 build cannot express: ${cause.message.slice(0, -'; shorten it'.length)}; run the daemon as root to pull this image`,
    );
  });

  it('drops only the trailing advice to shorten, not the same words in the file name', () => {
    const key = `; shorten it${'"'.repeat(200)}/${'"'.repeat(255)}`.repeat(10);
    let err: unknown;
    try {
      ownershipScript(one(key, { uid: 0, gid: 0, mode: 0o644, kind: 'file' }), 'debugfs');
    } catch (e) {
      err = e;
    }
    // The message shows the start of the name, JSON-quoted: "/; shorten it\"\"…
    expect((err as AppError).message).toContain('express: the path "/; shorten it\\"');
    expect((err as AppError).message).toMatch(
      /without mounting it; run the daemon as root to pull this image$/,
    );
  });
});
