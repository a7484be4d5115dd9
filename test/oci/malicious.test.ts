import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { type EntrySpec, type Layer, layerOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;
/** Per case, files outside any extraction root that a successful attack would change. */
let tripRoot: string;
const tripOf = (i: number) => join(tripRoot, `case-${i}`);

interface Case {
  name: string;
  /** Layers of entries; the last layer holds the entry that must be refused. */
  layers: (trip: string) => EntrySpec[][];
  /** The refused entry's name and a fragment of the reason. */
  entry: (trip: string) => string;
  reason: string;
}

const up = '../'.repeat(24);
const symlinkToTrip = (t: string): EntrySpec => ({ name: 'evil', type: 'symlink', linkname: t });

const CASES: Case[] = [
  {
    name: 'path traversal with ..',
    layers: (t) => [[{ name: `${up}${t.slice(1)}/secret`, content: 'pwned' }]],
    entry: (t) => `${up}${t.slice(1)}/secret`,
    reason: 'has a ".." component',
  },
  {
    name: 'absolute path',
    layers: (t) => [[{ name: `${t}/secret`, content: 'pwned' }]],
    entry: (t) => `${t}/secret`,
    reason: 'is an absolute path',
  },
  {
    name: 'symlink then write through it (separate layers)',
    layers: (t) => [[symlinkToTrip(t)], [{ name: 'evil/secret', content: 'pwned' }]],
    entry: () => 'evil/secret',
    reason: 'goes through "evil", which is a symlink',
  },
  {
    name: 'symlink then write through it (same layer)',
    layers: (t) => [[symlinkToTrip(t), { name: 'evil/planted', content: 'pwned' }]],
    entry: () => 'evil/planted',
    reason: 'goes through "evil", which is a symlink',
  },
  {
    name: 'directory created through a symlink',
    layers: (t) => [[symlinkToTrip(t)], [{ name: 'evil/sub/', type: 'directory' }]],
    entry: () => 'evil/sub/',
    reason: 'goes through "evil", which is a symlink',
  },
  {
    name: 'symlink whose relative target leaves the root',
    layers: (t) => [[{ name: 'evil', type: 'symlink', linkname: `${up}${t.slice(1)}` }]],
    entry: () => 'evil',
    reason: 'leaves the image root',
  },
  {
    name: 'hardlink escaping with ..',
    layers: (t) => [
      [
        { name: 'x', type: 'link', linkname: `${up}${t.slice(1)}/secret` },
        { name: 'x', content: 'pwned' },
      ],
    ],
    entry: () => 'x',
    reason: 'has a ".." component',
  },
  {
    name: 'hardlink to an absolute path',
    layers: (t) => [[{ name: 'x', type: 'link', linkname: `${t}/secret` }]],
    entry: () => 'x',
    reason: 'is an absolute path',
  },
  {
    name: 'hardlink through a symlink',
    layers: (t) => [[symlinkToTrip(t), { name: 'x', type: 'link', linkname: 'evil/secret' }]],
    entry: () => 'x',
    reason: 'goes through "evil", which is a symlink',
  },
  {
    name: 'symlink named .',
    layers: (t) => [
      [
        { name: '.', type: 'symlink', linkname: t },
        { name: 'secret', content: 'pwned' },
      ],
    ],
    entry: () => '.',
    reason: 'would replace the root',
  },
  {
    name: 'symlink named ./',
    layers: (t) => [
      [
        { name: './', type: 'symlink', linkname: t },
        { name: 'secret', content: 'pwned' },
      ],
    ],
    entry: () => './',
    reason: 'would replace the root',
  },
  {
    name: 'bare .wh.',
    layers: () => [[{ name: 'etc/.wh.', content: '' }]],
    entry: () => 'etc/.wh.',
    reason: 'bare ".wh." whiteout',
  },
  {
    name: 'whiteout reaching out with ..',
    layers: (t) => [[{ name: `${up}${t.slice(1)}/.wh.secret`, content: '' }]],
    entry: (t) => `${up}${t.slice(1)}/.wh.secret`,
    reason: 'has a ".." component',
  },
  {
    name: 'whiteout of ..',
    layers: () => [
      [
        { name: 'etc/', type: 'directory' },
        { name: 'etc/.wh...', content: '' },
      ],
    ],
    entry: () => 'etc/.wh...',
    reason: 'is a whiteout of ".."',
  },
  {
    name: 'whiteout through a symlink',
    layers: (t) => [[symlinkToTrip(t)], [{ name: 'evil/.wh.secret', content: '' }]],
    entry: () => 'evil/.wh.secret',
    reason: 'goes through "evil", which is a symlink',
  },
  {
    name: 'opaque marker through a symlink',
    layers: (t) => [[symlinkToTrip(t)], [{ name: 'evil/.wh..wh..opq', content: '' }]],
    entry: () => 'evil/.wh..wh..opq',
    reason: 'goes through "evil", which is a symlink',
  },
];

/** Everything under the tripwire directory: type, mode, size, content, link target, mtime. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await lstat(path);
    let what = '';
    if (st.isSymbolicLink()) what = await readlink(path);
    else if (st.isFile()) what = await readFile(path, 'utf8');
    out.push(`${name} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${what}`);
    if (st.isDirectory()) out.push(...(await snapshot(path)).map((l) => `${name}/${l}`));
  }
  return out;
}

const pushed = new Map<string, Layer[]>();

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-evil-'));
  tripRoot = await mkdtemp(join(tmpdir(), 'banger-tripwire-'));
  for (const [i, c] of CASES.entries()) {
    const trip = tripOf(i);
    await mkdir(join(trip, 'sub'), { recursive: true });
    await writeFile(join(trip, 'secret'), 'original');
    await writeFile(join(trip, 'sub', 'keep'), 'keep me');
    const layers: Layer[] = [];
    for (const entries of c.layers(trip)) layers.push(await layerOf(entries));
    const layout = join(scratch, `layout-${i}`);
    await writeLayout(layout, 'v1', [{ layers }]);
    await pushLayout(layout, 'v1', `${registry.host}/evil${i}:v1`);
    pushed.set(c.name, layers);
  }
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (tripRoot) await rm(tripRoot, { recursive: true, force: true });
});

describe('malicious layers are refused and nothing outside the root changes', () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const c = CASES[i] as Case;
    const trip = tripOf(i);
    const before = await snapshot(trip);
    const base = await mkdtemp(join(scratch, 'pull-'));
    const workDir = join(base, 'work');
    const err = await pullImage({
      ref: `${registry.host}/evil${i}:v1`,
      cacheDir: join(base, 'cache'),
      workDir,
      runner,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    const appError = err as AppError;
    const layer = pushed.get(c.name)?.at(-1);
    expect(appError.code).toBe('invalid_argument');
    expect(appError.message).toContain(`layer ${layer?.digest}: entry "${c.entry(trip)}"`);
    expect(appError.message).toContain(c.reason);
    expect(appError.details).toMatchObject({ layer: layer?.digest, entry: c.entry(trip) });
    expect(await snapshot(trip)).toEqual(before);
    expect(before.some((l) => l.startsWith('secret ') && l.endsWith(' original'))).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
  });
});
