import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpawnRunner } from '../../../src/host/runner.js';

interface Inode {
  path: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

const runner = new SpawnRunner();

function quote(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

/** Lists every directory of an unmounted ext4 image with `debugfs ls -p`, breadth first. */
async function walk(image: string, scratch: string): Promise<Inode[]> {
  const all: Inode[] = [];
  let level = ['/'];
  while (level.length > 0) {
    const script = join(scratch, 'ls');
    await writeFile(script, level.map((d) => `ls -p ${quote(d)}`).join('\n'));
    const { stdout } = await runner.run(['debugfs', '-f', script, image]);
    const next: string[] = [];
    let dir = '';
    for (const line of stdout.split('\n')) {
      const cmd = /^debugfs: ls -p "(.*)"$/.exec(line);
      if (cmd?.[1] !== undefined) {
        dir = cmd[1].replaceAll('""', '"');
        continue;
      }
      const m = /^\/(\d+)\/(\d+)\/(\d+)\/(\d+)\/(.*)\/(\d*)\/$/.exec(line);
      if (!m) continue;
      const name = m[5] ?? '';
      if (name === '.' || name === '..') continue;
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const entry = {
        path,
        ino: Number(m[1]),
        mode: Number.parseInt(m[2] ?? '0', 8),
        uid: Number(m[3]),
        gid: Number(m[4]),
        size: Number(m[6] || 0),
      };
      all.push(entry);
      if ((entry.mode & 0o170000) === 0o040000) next.push(path);
    }
    level = next;
  }
  return all;
}

/**
 * One line per path of an ext4 image, sorted: full octal mode, owner, and
 * for files their content (short text) or its sha256, for symlinks their
 * target, for extra hardlinks the first path sharing the inode.
 * `lost+found` is left out. Types and modes come from debugfs (rdump drops
 * setuid bits); contents and link targets from an rdump copy.
 */
export async function listExt4(image: string): Promise<string[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'banger-ext4-list-'));
  try {
    const inodes = (await walk(image, scratch)).filter((i) => !i.path.startsWith('/lost+found'));
    const dump = join(scratch, 'dump');
    await runner.run(['mkdir', dump]);
    await runner.run(['debugfs', '-R', `rdump / ${dump}`, image]);
    inodes.sort((a, b) => (a.path < b.path ? -1 : 1));
    const firstByIno = new Map<number, string>();
    const lines: string[] = [];
    for (const i of inodes) {
      const type = i.mode & 0o170000;
      let what = '';
      const first = firstByIno.get(i.ino);
      if (first !== undefined) what = `hardlink=${first}`;
      else if (type === 0o120000) what = `-> ${await readlink(join(dump, i.path))}`;
      else if (type === 0o100000) {
        const data = await readFile(join(dump, i.path));
        what =
          data.length <= 40 && /^[\x20-\x7e]*$/.test(data.toString('latin1'))
            ? `"${data.toString('latin1')}"`
            : `sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)} (${data.length} bytes)`;
      }
      if (first === undefined) firstByIno.set(i.ino, i.path);
      lines.push(
        `${i.path} ${i.mode.toString(8).padStart(6, '0')} ${i.uid}:${i.gid}${what ? ` ${what}` : ''}`,
      );
    }
    return lines;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The root directory's mode and owner, e.g. `040755 0:0`. */
export async function rootOf(image: string): Promise<string> {
  const { stdout } = await runner.run(['debugfs', '-R', 'ls -p -d /', image]);
  const m = /^\/2\/(\d+)\/(\d+)\/(\d+)\/\.\//m.exec(stdout);
  return m ? `${m[1]} ${m[2]}:${m[3]}` : stdout;
}

/** Modification times (ms) of every directory and regular file, from an rdump copy (lost+found left out). */
export async function mtimesOf(image: string): Promise<Map<string, number>> {
  const scratch = await mkdtemp(join(tmpdir(), 'banger-ext4-mtimes-'));
  try {
    await runner.run(['debugfs', '-R', `rdump / ${scratch}`, image]);
    const out = new Map<string, number>();
    const visit = async (rel: string): Promise<void> => {
      for (const entry of await readdir(join(scratch, rel), { withFileTypes: true })) {
        const path = `${rel}/${entry.name}`;
        if (path === '/lost+found' || entry.isSymbolicLink()) continue;
        out.set(path, (await lstat(join(scratch, path))).mtimeMs);
        if (entry.isDirectory()) await visit(path);
      }
    };
    await visit('');
    return out;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
