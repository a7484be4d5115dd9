import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { listExt4, mtimesOf } from './helpers/ext4-list.js';
import { blobOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

// Real files from this host (copied first, so the host can change meanwhile), archived by GNU tar in
// its own format and in PAX: setuid binaries, files of system groups, hardlinks, long names.
const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;
let source: string;

const MOUNT_POINTS = ['/dev', '/proc', '/run', '/sys', '/tmp'];

/** The same line format as listExt4, read from a directory with lstat. */
async function listDir(root: string): Promise<string[]> {
  const lines: { path: string; line: string; ino: number }[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(root, rel))) {
      const path = `${rel}/${name}`;
      const st = await lstat(join(root, path));
      let what = '';
      if (st.isSymbolicLink()) what = `-> ${await readlink(join(root, path))}`;
      else if (st.isFile()) {
        const data = await readFile(join(root, path));
        what =
          data.length <= 40 && /^[\x20-\x7e]*$/.test(data.toString('latin1'))
            ? `"${data.toString('latin1')}"`
            : `sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)} (${data.length} bytes)`;
      }
      const mode = st.mode.toString(8).padStart(6, '0');
      lines.push({
        path,
        ino: st.isDirectory() ? -1 : st.ino,
        line: `${mode} ${st.uid}:${st.gid}${what ? ` ${what}` : ''}`,
      });
      if (st.isDirectory()) await visit(path);
    }
  };
  await visit('');
  lines.sort((a, b) => (a.path < b.path ? -1 : 1));
  const first = new Map<number, string>();
  return lines.map(({ path, ino, line }) => {
    const seen = ino >= 0 ? first.get(ino) : undefined;
    if (ino >= 0 && seen === undefined) first.set(ino, path);
    return seen === undefined
      ? `${path} ${line}`
      : `${path} ${line.split(' ').slice(0, 2).join(' ')} hardlink=${seen}`;
  });
}

async function pushTar(format: string, tag: string): Promise<void> {
  const tar = join(scratch, `${tag}.tar`);
  await runner.run(['tar', `--format=${format}`, '--numeric-owner', '-cf', tar, '-C', source, '.']);
  const bytes = await readFile(tar);
  const layer = { ...blobOf(bytes), diffId: blobOf(bytes).digest };
  const layout = join(scratch, `layout-${tag}`);
  await writeLayout(layout, tag, [{ layers: [layer] }]);
  await pushLayout(layout, tag, `${registry.host}/host:${tag}`);
}

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-gnutar-'));
  source = join(scratch, 'src');
  await mkdir(join(source, 'usr', 'bin'), { recursive: true });
  await runner.run(['cp', '-a', '/etc', '/usr/sbin', join(source)]);
  const bins = ['su', 'passwd', 'chfn', 'mount', 'sudo', 'perl', 'perl5.36.0', 'ssh-agent', 'newgrp'];
  const present: string[] = [];
  for (const b of bins)
    if (await lstat(`/usr/bin/${b}`).catch(() => undefined)) present.push(`/usr/bin/${b}`);
  await runner.run(['cp', '-a', ...present, join(source, 'usr', 'bin')]);
  // A name longer than 100 bytes, which needs GNU longname or PAX path records.
  const deep = join(source, 'usr', 'share', 'x'.repeat(90), 'y'.repeat(90));
  await mkdir(deep, { recursive: true });
  await runner.run(['cp', '-a', '/etc/hostname', join(deep, 'z'.repeat(120))]);
  for (const d of MOUNT_POINTS) await mkdir(join(source, d), { recursive: true });
  await runner.run(['chmod', '1777', join(source, 'tmp')]);
  await runner.run(['chmod', '555', join(source, 'proc'), join(source, 'sys')]);
  await pushTar('gnu', 'gnu');
  await pushTar('pax', 'pax');
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('layers archived by GNU tar from real files', () => {
  it.each(['gnu', 'pax'])('%s format: the ext4 image matches the source tree exactly', async (tag) => {
    const base = await mkdtemp(join(scratch, 'pull-'));
    const image = await pullImage({
      ref: `${registry.host}/host:${tag}`,
      cacheDir: join(base, 'cache'),
      workDir: join(base, 'work'),
      runner,
    });
    try {
      const expected = await listDir(source);
      expect(expected.some((l) => /^\/usr\/bin\/su 1047/.test(l))).toBe(true);
      expect(await listExt4(image.rootfsPath)).toEqual(expected);
      const mtimes = await mtimesOf(image.rootfsPath);
      for (const [path, mtime] of mtimes) {
        const src = Math.floor((await lstat(join(source, path))).mtimeMs / 1000) * 1000;
        expect([path, Math.floor(mtime / 1000) * 1000]).toEqual([path, src]);
      }
      await runner.run(['e2fsck', '-fn', image.rootfsPath]);
    } finally {
      await image.cleanup();
    }
  });
});
