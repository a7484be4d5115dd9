import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplyOptions, LayerApplier, type TarHeader } from './apply-entry.js';
import { RootTree } from './root-tree.js';

/** A real RootTree in a temp directory; entries are applied one by one as tar-stream would hand them over. */
let dir: string;
let tree: RootTree;
let logs: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'banger-apply-'));
  tree = new RootTree(dir);
  logs = [];
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const LAYER = 'sha256:layer';

function applier(options: Partial<ApplyOptions> = {}): LayerApplier {
  return new LayerApplier(tree, LAYER, { chown: false, log: (m) => logs.push(m), ...options });
}

/** A tar header as tar-stream produces it; `extra` may also blank fields out, as odd archives do. */
function header(name: string, extra: { [K in keyof TarHeader]?: TarHeader[K] | undefined } = {}): TarHeader {
  return {
    name,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: new Date(1_000_000),
    ...extra,
  } as TarHeader;
}

/** An entry body; `resumed` tells whether the applier drained one it does not read. */
function body(content = '') {
  const stream = Readable.from(content ? [Buffer.from(content)] : []);
  const resume = stream.resume.bind(stream);
  const state = { resumed: false };
  return Object.assign(stream, {
    state,
    resume: () => {
      state.resumed = true;
      return resume();
    },
  });
}

async function apply(a: LayerApplier, h: TarHeader, content = ''): Promise<void> {
  await a.apply(h, body(content));
}

/** The AppError an entry is refused with. */
async function refusal(
  a: LayerApplier,
  h: TarHeader,
): Promise<{ code: string; message: string; details: unknown }> {
  const err = await a.apply(h, body()).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${h.name} should be refused`).toBeDefined();
  return err as { code: string; message: string; details: unknown };
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

  it('reads owners and mtimes from PAX records, falling back to the header for bad values', async () => {
    const a = applier();
    await apply(
      a,
      header('p', { uid: 1, gid: 2, pax: { uid: '4000000', gid: '4000001', mtime: '1700000000.5' } }),
    );
    expect(tree.owners.get('p')).toMatchObject({ uid: 4000000, gid: 4000001 });
    expect(statSync(join(dir, 'p')).mtime.getTime()).toBe(1_700_000_000_500);
    await apply(a, header('q', { uid: 1, gid: 2, pax: { uid: '-1', gid: 'x', mtime: 'soon' } }));
    expect(tree.owners.get('q')).toMatchObject({ uid: 1, gid: 2 });
    expect(statSync(join(dir, 'q')).mtime.getTime()).toBe(1_000_000);
    await apply(
      a,
      header('r', { uid: undefined, gid: undefined, mode: undefined, mtime: undefined, pax: { uid: '1.5' } }),
    );
    expect(tree.owners.get('r')).toEqual({ uid: 0, gid: 0, mode: 0o644, kind: 'file' });
    expect(statSync(join(dir, 'r')).mtime.getTime()).toBe(0);
    await apply(a, header('s', { mode: 0o177777 }));
    expect(tree.owners.get('s')?.mode).toBe(0o7777);
  });

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

  it('refuses unsafe entries with invalid_argument, naming the layer, the entry and why', async () => {
    const a = applier();
    await apply(a, header('real'), 'r');
    await apply(a, header('link', { type: 'symlink', linkname: 'real' }));
    await apply(a, header('d/', { type: 'directory' }));
    const cases: [TarHeader, string][] = [
      [header('../x'), 'has a ".." component'],
      [header('/etc/passwd'), 'is an absolute path'],
      [header('etc/.wh.'), 'is a bare ".wh." whiteout'],
      [header('./', { type: 'file' }), 'is a file that would replace the root'],
      [header('.', { type: 'symlink', linkname: '/' }), 'is a symlink that would replace the root'],
      [
        header('s', { type: 'symlink', linkname: '../x' }),
        'is a symlink to "../x", which leaves the image root',
      ],
      [
        header('d/s', { type: 'symlink', linkname: '../../x' }),
        'is a symlink to "../../x", which leaves the image root',
      ],
      [header('s', { type: 'symlink', linkname: 'a\0b' }), 'is a symlink whose target has a NUL byte'],
      [
        header('h', { type: 'link', linkname: '../x' }),
        'is a hardlink to "../x", which has a ".." component',
      ],
      [
        header('h', { type: 'link', linkname: '/real' }),
        'is a hardlink to "/real", which is an absolute path',
      ],
      [header('h', { type: 'link', linkname: './' }), 'is a hardlink to the root'],
      [
        header('h', { type: 'link', linkname: 'link/x' }),
        'is a hardlink to "link/x", which goes through "link", which is a symlink; writing through it is refused',
      ],
      [header('link/x'), 'goes through "link", which is a symlink; writing through it is refused'],
      [header('real/x', { type: 'directory' }), 'goes through "real", which is not a directory'],
    ];
    for (const [h, reason] of cases) {
      const err = await refusal(a, h);
      expect(err, h.name).toMatchObject({
        code: 'invalid_argument',
        message: `layer ${LAYER}: entry "${h.name}" ${reason}. The image is unsafe and was not pulled.`,
        details: { layer: LAYER, entry: h.name },
      });
    }
    expect(existing('')).toEqual(['d', 'link', 'real']);
  });

  it('refuses malformed entries with operation_failed', async () => {
    const a = applier();
    await apply(a, header('d/', { type: 'directory' }));
    const cases: [TarHeader, string][] = [
      [header('f/'), 'names a directory but is a file'],
      [header('f/.', { type: 'symlink', linkname: 'x' }), 'names a directory but is a symlink'],
      [header('s', { type: 'symlink', linkname: '' }), 'is a symlink with an empty target'],
      [header('s', { type: 'symlink' }), 'is a symlink with an empty target'],
      [
        header('h', { type: 'link', linkname: 'missing' }),
        'is a hardlink to "missing", which does not exist',
      ],
      [header('h', { type: 'link', linkname: 'd' }), 'is a hardlink to the directory "d"'],
    ];
    for (const [h, reason] of cases) {
      expect(await refusal(a, h), h.name).toMatchObject({
        code: 'operation_failed',
        message: `layer ${LAYER}: entry "${h.name}" ${reason}. The image is malformed and was not pulled.`,
      });
    }
    expect((await refusal(a, header('', { type: 'directory' }))).message).toContain('has an empty name');
  });

  it('reports a filesystem failure as operation_failed with the next step', async () => {
    rmSync(dir, { recursive: true });
    const err = await refusal(applier(), header('f'));
    expect(err).toMatchObject({ code: 'operation_failed' });
    expect(err.message).toMatch(
      /^layer sha256:layer: entry "f" could not be extracted: ENOENT.*\. Check free space and permissions under the work directory\.$/,
    );
  });

  it('drains the body of a refused file entry', async () => {
    const b = body('x');
    await expect(applier().apply(header('../x'), b)).rejects.toThrow();
    expect(b.state.resumed).toBe(true);
  });
});

/** Sorted names in a directory of the tree. */
function existing(rel: string): string[] {
  return readdirSync(join(dir, rel)).sort();
}
