import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { expect } from 'vitest';

/** What `debugfs -R stat` reports for one path of an unmounted image, read independently of src/. */
export interface StatResult {
  type: string;
  /** Permission bits only. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Symlink target, for fast and slow symlinks. */
  target?: string | undefined;
}

function q(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

/** Stat of `path` inside `image`, or undefined when it does not exist. */
export function statIn(image: string, path: string): StatResult | undefined {
  const r = spawnSync('debugfs', ['-R', `stat ${q(path)}`, image], { encoding: 'utf8' });
  const m = /Type: (\S+)\s+Mode:\s+([0-7]+)/.exec(r.stdout);
  const o = /User:\s+(\d+)\s+Group:\s+(\d+)\s+Project:\s+\d+\s+Size: (\d+)/.exec(r.stdout);
  if (!m || !o) return undefined;
  const fast = /Fast link dest: "(.*)"/.exec(r.stdout);
  let target = fast?.[1];
  if (m[1] === 'symlink' && target === undefined) target = catIn(image, path).toString('utf8');
  return {
    type: m[1] ?? '',
    mode: Number.parseInt(m[2] ?? '0', 8),
    uid: Number(o[1]),
    gid: Number(o[2]),
    size: Number(o[3]),
    target,
  };
}

/** The bytes of a file inside `image` (debugfs dump to a scratch file). */
export function catIn(image: string, path: string, scratch = `${image}.dump`): Buffer {
  execFileSync('debugfs', ['-R', `dump ${q(path)} ${q(scratch)}`, image], { stdio: 'ignore' });
  try {
    return readFileSync(scratch);
  } finally {
    rmSync(scratch, { force: true });
  }
}

/** Names in a directory of `image`, without . and .. */
export function lsIn(image: string, dir: string): string[] {
  const out = execFileSync('debugfs', ['-R', `ls -p ${q(dir)}`, image], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .split('\n')
    .map((l) => /^\/\d+\/\d+\/\d+\/\d+\/(.*)\/\d*\/$/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== '.' && n !== '..')
    .sort();
}

/** Asserts that `e2fsck -fn` finds nothing to fix. */
export function expectFsckClean(image: string): void {
  const r = spawnSync('e2fsck', ['-f', '-n', image], { encoding: 'utf8' });
  expect(`${r.status}\n${r.stdout}${r.stderr}`).toMatch(/^0\n/);
}

/** Block count × block size of the filesystem, from dumpe2fs. */
export function fsBytes(image: string): number {
  const out = execFileSync('dumpe2fs', ['-h', image], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const count = Number(/^Block count:\s+(\d+)/m.exec(out)?.[1]);
  const size = Number(/^Block size:\s+(\d+)/m.exec(out)?.[1]);
  return count * size;
}

/**
 * Builds a seed image from `tree` with `mkfs.ext4 -d` (4 KiB blocks), root owned 0:0, then applies
 * `owners` (path -> uid:gid) with debugfs, so the test does not depend on running as root.
 */
export function makeSeed(
  tree: string,
  image: string,
  bytes: number,
  owners: Record<string, [number, number]> = {},
): void {
  execFileSync('truncate', ['-s', String(bytes), image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-E', 'root_owner=0:0', '-d', tree, image]);
  const script = Object.entries(owners).flatMap(([path, [uid, gid]]) => [
    `set_inode_field ${q(path)} uid ${uid}`,
    `set_inode_field ${q(path)} gid ${gid}`,
  ]);
  if (script.length > 0)
    execFileSync('debugfs', ['-w', '-f', '-', image], {
      input: `${script.join('\n')}\n`,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
}
