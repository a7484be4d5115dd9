import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** Runs git in `cwd` with a fixed identity and no user or system config. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function write(root: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, mode);
}

/**
 * A repository exercising everything the workspace copy must get right:
 * an uncommitted edit, a staged new file, a deleted tracked file, untracked
 * and ignored files, names with spaces, unicode, a newline, a leading dash and
 * a backslash, symlinks (relative, absolute, dangling), an executable script,
 * a private directory, a nested untracked repository and a large file.
 */
export function makeFixtureRepo(root: string, bigBytes: number): void {
  mkdirSync(root, { recursive: true });
  git(root, 'init', '-q', '-b', 'main');
  write(root, 'README.md', '# fixture\n');
  write(root, '.gitignore', '*.log\nbuild/\n');
  write(root, 'bin/run.sh', '#!/bin/sh\necho run\n', 0o755);
  write(root, 'dir with space/ünïcødé file ☃.txt', 'unicode\n');
  write(root, '-rf', 'dash\n');
  write(root, 'back\\slash', 'backslash\n');
  write(root, 'new\nline', 'newline\n');
  write(root, 'gone.txt', 'to be deleted\n');
  write(root, 'big.bin', randomBytes(bigBytes));
  symlinkSync('README.md', join(root, 'link-to-readme'));
  symlinkSync('/etc/hostname', join(root, 'absolute-link'));
  symlinkSync('does/not/exist', join(root, 'dangling-link'));
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'one');
  write(root, 'second.txt', 'second commit\n');
  git(root, 'add', 'second.txt');
  git(root, 'commit', '-q', '-m', 'two');

  write(root, 'README.md', '# fixture\nuncommitted edit\n');
  write(root, 'staged.txt', 'staged\n');
  git(root, 'add', 'staged.txt');
  execFileSync('rm', [join(root, 'gone.txt')]);
  write(root, 'notes.txt', 'untracked\n');
  write(root, 'newdir/deeper/untracked.txt', 'untracked too\n', 0o600);
  chmodSync(join(root, 'newdir'), 0o700);
  write(root, 'debug.log', 'ignored\n');
  write(root, 'build/out.o', 'ignored\n');
  const nested = join(root, 'vendor', 'nested');
  mkdirSync(nested, { recursive: true });
  git(nested, 'init', '-q');
  write(nested, 'lib.c', 'int x;\n');
  git(nested, 'add', '-A');
  git(nested, 'commit', '-q', '-m', 'nested');
}

/** What must arrive (relative paths of files and symlinks outside .git). */
export const EXPECTED_FILES = [
  '-rf',
  '.gitignore',
  'README.md',
  'absolute-link',
  'back\\slash',
  'big.bin',
  'bin/run.sh',
  'dangling-link',
  'dir with space/ünïcødé file ☃.txt',
  'link-to-readme',
  'new\nline',
  'newdir/deeper/untracked.txt',
  'notes.txt',
  'second.txt',
  'staged.txt',
  'vendor/nested/lib.c',
];

export interface Entry {
  mode: number;
  /** sha256 of a file's bytes, or `-> target` of a symlink, or `dir`. */
  content: string;
}

/** Every file, symlink and directory under `root`, except inside `skip` directories (relative names). */
export function snapshot(root: string, skip: readonly string[] = []): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip.includes(r)) continue;
      const abs = join(root, r);
      const st = lstatSync(abs);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.set(r, { mode, content: `-> ${readlinkSync(abs)}` });
      else if (st.isDirectory()) {
        out.set(r, { mode, content: 'dir' });
        walk(r);
      } else out.set(r, { mode, content: createHash('sha256').update(readFileSync(abs)).digest('hex') });
    }
  };
  walk('');
  return out;
}
