import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { runDebugfs, statPaths } from './debugfs.js';

describe('runDebugfs', () => {
  it('passes the commands on stdin in one process and ignores the version banner', async () => {
    let input: unknown;
    const runner = new FakeRunner().on(['debugfs'], () => ({
      stdout: 'out',
      stderr: 'debugfs 1.47.0 (5-Feb-2023)\n',
    }));
    const original = runner.run.bind(runner);
    runner.run = (argv, options) => {
      input = options?.input;
      return original(argv, options);
    };
    expect(await runDebugfs({ runner, image: 'img', commands: ['a', 'b'] })).toBe('out');
    expect(runner.calls[0]).toEqual(['debugfs', '-w', '-f', '-', 'img']);
    expect(input).toBe('a\nb\n');
  });

  it('fails when debugfs reports a problem on stderr, even with exit status 0', async () => {
    const runner = new FakeRunner().on(['debugfs'], {
      stderr: 'debugfs 1.47.0 (5-Feb-2023)\nset_inode_field: File not found by ext2_lookup while ...\n',
    });
    const err = await runDebugfs({ runner, image: 'img', commands: ['x'], purpose: 'fix' }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.message).toMatch(/^debugfs could not fix img: set_inode_field: File not found/);
  });

  it('does nothing without commands', async () => {
    const runner = new FakeRunner();
    await runDebugfs({ runner, image: 'img', commands: [] });
    expect(runner.calls).toEqual([]);
  });
});

describe('statPaths', () => {
  const stdout = [
    'debugfs: stat "/a"',
    'Inode: 12   Type: directory    Mode:  0755   Flags: 0x80000',
    'User:     0   Group:     5   Project:     0   Size: 4096',
    'debugfs: stat "/missing"',
    'debugfs: stat "/l"',
    'Inode: 14   Type: symlink    Mode:  0777   Flags: 0x0',
    'User:  1000   Group:  1000   Project:     0   Size: 6',
    'debugfs: stat "/f"',
    'Inode: 13   Type: regular    Mode:  0600   Flags: 0x80000',
    'User:     0   Group:     0   Project:     0   Size: 5',
    'debugfs: stat "/p"',
    'Inode: 15   Type: FIFO    Mode:  0644   Flags: 0x0',
    'User:     0   Group:     0   Project:     0   Size: 0',
    '',
  ].join('\n');

  it('parses one read-only run into what exists', async () => {
    const runner = new FakeRunner().on(['debugfs'], {
      stdout,
      stderr: 'debugfs 1.47.0 (5-Feb-2023)\n/missing: File not found by ext2_lookup \n',
    });
    const found = await statPaths(runner, 'img', ['/a', '/missing', '/l', '/f', '/p', '/a']);
    expect(runner.calls[0]).toEqual(['debugfs', '-f', '-', 'img']);
    expect(Object.fromEntries(found)).toEqual({
      '/a': { kind: 'dir', mode: 0o755, uid: 0, gid: 5, size: 4096 },
      '/l': { kind: 'symlink', mode: 0o777, uid: 1000, gid: 1000, size: 6 },
      '/f': { kind: 'file', mode: 0o600, uid: 0, gid: 0, size: 5 },
      '/p': { kind: 'other', mode: 0o644, uid: 0, gid: 0, size: 0 },
    });
  });

  it('fails on anything but "not found"', async () => {
    const runner = new FakeRunner().on(['debugfs'], {
      stderr: 'debugfs 1.47.0\ndebugfs: Bad magic number in super-block while trying to open img\n',
    });
    await expect(statPaths(runner, 'img', ['/a'])).rejects.toThrow(/could not read img: debugfs: Bad magic/);
  });
});
