import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { entryBody as body, tarHeader as header, nestedRootTree } from '../../../testing/layer-entries.js';
import { type ApplyOptions, LayerApplier, type TarHeader } from './apply-entry.js';
import type { RootTree } from './root-tree.js';

/** A real RootTree (src/testing/layer-entries.ts); entries are applied one by one as tar-stream would hand them over. */
let tmp: string;
let dir: string;
let tree: RootTree;
let logs: string[];

beforeEach(() => {
  ({ tmp, dir, tree } = nestedRootTree('banger-apply-'));
  logs = [];
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const LAYER = 'sha256:layer';

function applier(options: Partial<ApplyOptions> = {}): LayerApplier {
  return new LayerApplier(tree, LAYER, { chown: false, log: (m) => logs.push(m), ...options });
}

async function apply(a: LayerApplier, h: TarHeader, content = ''): Promise<void> {
  await a.apply(h, body(content));
}

describe('LayerApplier', () => {
  it('writes files, directories and links with their modes, times and recorded owners', async () => {
    const a = applier();
    await apply(a, header('etc/', { type: 'directory', mode: 0o750, uid: 3, gid: 4 }));
    await apply(a, header('etc/motd', { mode: 0o600, uid: 5, gid: 6 }), 'hello');
    await apply(a, header('etc/link', { type: 'symlink', linkname: 'motd', uid: 7, gid: 8 }));
    await apply(a, header('etc/hard', { type: 'link', linkname: 'etc/motd' }));
    expect(readFileSync(join(dir, 'etc/motd'), 'utf8')).toBe('hello');
    // Unprivileged mode keeps files owner-readable; the ext4 image gets the exact mode.
    expect(statSync(join(dir, 'etc/motd')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(dir, 'etc/motd')).mtime.getTime()).toBe(1_000_000);
    expect(readlinkSync(join(dir, 'etc/link'))).toBe('motd');
    expect(lstatSync(join(dir, 'etc/link')).mtime.getTime()).toBe(1_000_000);
    expect(statSync(join(dir, 'etc/hard')).ino).toBe(statSync(join(dir, 'etc/motd')).ino);
    expect(tree.owners.get('etc')).toEqual({ uid: 3, gid: 4, mode: 0o750, kind: 'dir' });
    expect(tree.owners.get('etc/motd')).toEqual({ uid: 5, gid: 6, mode: 0o600, kind: 'file' });
    expect(tree.owners.get('etc/link')).toEqual({ uid: 7, gid: 8, mode: 0o777, kind: 'symlink' });
    expect(tree.owners.get('etc/hard')).toEqual({ uid: 5, gid: 6, mode: 0o600, kind: 'file' });
    expect(tree.dirs.get('etc')).toEqual({ mode: 0o750, mtime: new Date(1_000_000) });
  });

  it('unprivileged, makes an unreadable file owner-readable on disk', async () => {
    await apply(applier(), header('secret', { mode: 0o000 }), 'x');
    expect(statSync(join(dir, 'secret')).mode & 0o7777).toBe(0o400);
    expect(tree.owners.get('secret')?.mode).toBe(0o000);
  });

  it.runIf(process.geteuid?.() === 0)(
    'as root, gives files, links and directories their owners and exact modes',
    async () => {
      const a = applier({ chown: true });
      await apply(a, header('d/', { type: 'directory', mode: 0o700, uid: 11, gid: 12 }));
      await apply(a, header('d/su', { mode: 0o4755, uid: 13, gid: 14 }), '#!');
      await apply(a, header('d/zero', { mode: 0o000 }), '');
      await apply(a, header('d/l', { type: 'symlink', linkname: 'su', uid: 15, gid: 16 }));
      const st = (p: string) => lstatSync(join(dir, p));
      expect([st('d').uid, st('d').gid]).toEqual([11, 12]);
      // chown before chmod: the setuid bit survives
      expect([st('d/su').uid, st('d/su').gid, st('d/su').mode & 0o7777]).toEqual([13, 14, 0o4755]);
      expect(st('d/zero').mode & 0o7777).toBe(0o000);
      expect([st('d/l').uid, st('d/l').gid]).toEqual([15, 16]);
    },
  );

  it('replaces what a lower layer put at a path, whatever its type', async () => {
    await apply(applier(), header('a/', { type: 'directory' }));
    await apply(applier(), header('a/x'), 'old');
    await apply(applier(), header('f'), 'old');
    const upper = applier();
    await apply(upper, header('a'), 'file now');
    await apply(upper, header('f', { type: 'directory' }));
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('file now');
    expect(tree.owners.has('a/x')).toBe(false);
    expect(lstatSync(join(dir, 'f')).isDirectory()).toBe(true);
    // a file written twice in one layer keeps the last content
    await apply(upper, header('g'), 'one');
    await apply(upper, header('g'), 'two');
    expect(readFileSync(join(dir, 'g'), 'utf8')).toBe('two');
  });

  it('keeps an existing directory (and its content) when a layer names it again', async () => {
    await apply(applier(), header('d/', { type: 'directory', mode: 0o755 }));
    await apply(applier(), header('d/keep'), 'k');
    await apply(applier(), header('d/', { type: 'directory', mode: 0o700, uid: 9 }));
    expect(readFileSync(join(dir, 'd/keep'), 'utf8')).toBe('k');
    expect(tree.owners.get('d')).toMatchObject({ uid: 9, mode: 0o700 });
  });

  it('applies whiteouts to lower layers only, never to what the same layer wrote', async () => {
    const lower = applier();
    await apply(lower, header('etc/a'), 'a');
    await apply(lower, header('etc/b'), 'b');
    await apply(lower, header('etc/sub/c'), 'c');
    await apply(lower, header('gone'), 'g');
    const upper = applier();
    await apply(upper, header('gone'), 'rewritten');
    await apply(upper, header('.wh.gone'));
    await apply(upper, header('etc/new'), 'n');
    await apply(upper, header('etc/sub/d'), 'd');
    await apply(upper, header('etc/.wh..wh..opq'));
    await apply(upper, header('etc/.wh.missing'));
    expect(readFileSync(join(dir, 'gone'), 'utf8')).toBe('rewritten');
    expect(existing('etc')).toEqual(['new', 'sub']);
    expect(existing('etc/sub')).toEqual(['d']);
    const third = applier();
    await apply(third, header('.wh.gone'));
    await apply(third, header('etc/.wh.sub'));
    expect(existing('')).toEqual(['etc']);
    expect(existing('etc')).toEqual(['new']);
  });

  it('a whiteout of a directory this layer wrote into removes only the lower content below it', async () => {
    await apply(applier(), header('d/old'), 'o');
    const upper = applier();
    await apply(upper, header('d/new'), 'n');
    await apply(upper, header('.wh.d'));
    expect(existing('d')).toEqual(['new']);
  });

  it('ignores aufs metadata and skips devices and unknown types, draining their bodies', async () => {
    const a = applier();
    const aufs = body();
    await a.apply(header('.wh..wh.aufs'), aufs);
    const dev = body();
    await a.apply(header('dev/null', { type: 'character-device' }), dev);
    const odd = body();
    await a.apply(header('sparse', { type: null }), odd);
    expect([aufs.state.resumed, dev.state.resumed, odd.state.resumed]).toEqual([true, true, true]);
    expect(logs).toEqual([
      `layer ${LAYER}: ignoring aufs metadata entry .wh..wh.aufs`,
      `layer ${LAYER}: skipping character-device entry dev/null (only files, directories and links are extracted)`,
      `layer ${LAYER}: skipping unknown entry sparse (only files, directories and links are extracted)`,
    ]);
    expect(existing('')).toEqual([]);
  });

  it('drains the bodies of links and whiteouts', async () => {
    const a = applier();
    await apply(a, header('t'), 't');
    for (const h of [
      header('s', { type: 'symlink', linkname: 't' }),
      header('h', { type: 'link', linkname: 't' }),
      header('.wh.t'),
    ]) {
      const b = body();
      await a.apply(h, b);
      expect(b.state.resumed, h.name).toBe(true);
    }
  });

  it('accepts the root directory entry, and a hardlink to itself as a no-op', async () => {
    const a = applier();
    await apply(a, header('./', { type: 'directory', mode: 0o700, uid: 1 }));
    expect(tree.owners.get('')).toMatchObject({ mode: 0o700, uid: 1, kind: 'dir' });
    await apply(a, header('f'), 'x');
    await apply(a, header('f', { type: 'link', linkname: './f' }));
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('x');
  });

  it('reads a file body instead of draining it, and leaves a directory body to the caller', async () => {
    const a = applier();
    const file = body('content');
    await a.apply(header('f'), file);
    const d = body();
    await a.apply(header('d/', { type: 'directory' }), d);
    expect([file.state.resumed, d.state.resumed]).toEqual([false, false]);
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('content');
  });

  it('passes an AppError from reading the body (a layer over its size limit, say) through unchanged', async () => {
    const limit = new AppError('invalid_argument', 'the layer is larger than its limit');
    const failing = Object.assign(
      (async function* () {
        yield Buffer.from('part');
        throw limit;
      })(),
      { resume: () => undefined },
    );
    await expect(applier().apply(header('big'), failing)).rejects.toBe(limit);
  });

  it('a whiteout of a symlink this layer wrote never reaches through it into the directory it names', async () => {
    await apply(applier(), header('d/x'), 'lower');
    const upper = applier();
    // Relative target inside the tree: if the symlink were followed, the damage stays in this test's root.
    await apply(upper, header('l', { type: 'symlink', linkname: 'd' }));
    await apply(upper, header('.wh.l'));
    expect(readlinkSync(join(dir, 'l'))).toBe('d');
    expect(existing('d')).toEqual(['x']);
  });
});

/** Sorted names in a directory of the tree. */
function existing(rel: string): string[] {
  return readdirSync(join(dir, rel)).sort();
}
