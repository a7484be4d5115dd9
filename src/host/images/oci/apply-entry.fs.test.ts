import * as realFs from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { entryBody, tarHeader as header, nestedRootTree } from '../../../testing/layer-entries.js';
import { type ApplyOptions, LayerApplier, type TarHeader } from './apply-entry.js';
import type { RootTree } from './root-tree.js';

/**
 * The applier's filesystem calls themselves: which inodes it chowns, that
 * every fd it opens is closed, that short writes are continued and that a
 * failed open is reported. chown is recorded, never performed, so these
 * tests need no root and change no owner even when a mutant chowns wrongly;
 * everything else really happens, in a root nested below the temp directory.
 */
const fake = vi.hoisted(() => ({
  chowns: [] as string[],
  lstats: [] as string[],
  open: new Map<number, string>(),
  /** Bytes writeSync takes per call, as a pipe or a full disk might; 0 = all. */
  writeChunk: 0,
  /** The error code the next openSync fails with. */
  openError: undefined as string | undefined,
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    lchownSync: (path: string, uid: number, gid: number) =>
      void fake.chowns.push(`lchown ${path} ${uid}:${gid}`),
    fchownSync: (fd: number, uid: number, gid: number) =>
      void fake.chowns.push(`fchown ${fake.open.get(fd)} ${uid}:${gid}`),
    lstatSync: (path: string, options?: object) => {
      fake.lstats.push(path);
      return fs.lstatSync(path, options as never);
    },
    openSync: (path: string, flags: number, mode?: number) => {
      const code = fake.openError;
      fake.openError = undefined;
      if (code) throw Object.assign(new Error(`${code}: open '${path}'`), { code });
      const fd = fs.openSync(path, flags, mode);
      fake.open.set(fd, path);
      return fd;
    },
    closeSync: (fd: number) => {
      fake.open.delete(fd);
      fs.closeSync(fd);
    },
    writeSync: (fd: number, data: Uint8Array, offset: number, length: number) =>
      fs.writeSync(fd, data, offset, fake.writeChunk ? Math.min(length, fake.writeChunk) : length),
  };
});

let tmp: string;
let dir: string;
let tree: RootTree;

beforeEach(() => {
  ({ tmp, dir, tree } = nestedRootTree('banger-apply-fs-'));
  Object.assign(fake, { chowns: [], lstats: [], writeChunk: 0, openError: undefined });
  fake.open.clear();
});

const ids = { geteuid: process.geteuid, getegid: process.getegid };

afterEach(() => {
  Object.assign(process, ids);
  realFs.rmSync(tmp, { recursive: true, force: true });
});

function applier(options: Partial<ApplyOptions> = {}): LayerApplier {
  return new LayerApplier(tree, 'sha256:layer', { chown: false, log: () => undefined, ...options });
}

async function apply(a: LayerApplier, h: TarHeader, content = ''): Promise<void> {
  await a.apply(h, entryBody(content));
}

/** The recorded chowns, with paths relative to the root. */
function chowns(): string[] {
  return fake.chowns.map((c) => c.replace(/ (\/\S+)/, (_, p: string) => ` /${relative(dir, p)}`));
}

/** An applier that believes it runs as `uid`:`gid` (undefined: a platform without geteuid). */
function as(uid: number | undefined, gid: number | undefined): LayerApplier {
  process.geteuid = uid === undefined ? undefined : () => uid;
  process.getegid = gid === undefined ? undefined : () => gid;
  return applier({ chown: true });
}

describe('LayerApplier chown decisions', () => {
  it('unprivileged, never chowns', async () => {
    const a = applier();
    await apply(a, header('d/', { type: 'directory', uid: 7, gid: 8 }));
    await apply(a, header('d/', { type: 'directory', uid: 9, gid: 9 }));
    await apply(a, header('d/f', { uid: 7, gid: 8 }), 'x');
    await apply(a, header('d/l', { type: 'symlink', linkname: 'f', uid: 7, gid: 8 }));
    expect(chowns()).toEqual([]);
  });

  it('as root, chowns a new inode only when its owner, its group or its parent group is not ours', async () => {
    const a = as(1000, 1000);
    // The image root exists already, so it always gets the image's owner.
    await apply(a, header('./', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(a, header('same', { uid: 1000, gid: 1000 }));
    await apply(a, header('link', { type: 'symlink', linkname: 'same', uid: 1000, gid: 1000 }));
    await apply(a, header('dir/', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(a, header('uid', { uid: 1001, gid: 1000 }));
    await apply(a, header('gid', { uid: 1000, gid: 1001 }));
    await apply(a, header('ulink', { type: 'symlink', linkname: 'same', uid: 1001, gid: 1000 }));
    await apply(a, header('udir/', { type: 'directory', uid: 1001, gid: 1000 }));
    expect(chowns()).toEqual([
      'lchown / 1000:1000',
      'fchown /uid 1001:1000',
      'fchown /gid 1000:1001',
      'lchown /ulink 1001:1000',
      'lchown /udir 1001:1000',
    ]);
  });

  it('as root, chowns a new inode whose parent has another group: on a grpid mount it inherits that group', async () => {
    const a = as(1000, 1000);
    await apply(a, header('./', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(a, header('ours/', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(a, header('ours/staff/', { type: 'directory', uid: 1000, gid: 50 }));
    fake.chowns = [];
    // The parent is ours/staff (group 50), not ours (group 1000) and not the file itself.
    await apply(a, header('ours/staff/f', { uid: 1000, gid: 1000 }));
    await apply(a, header('ours/staff/l', { type: 'symlink', linkname: 'f', uid: 1000, gid: 1000 }));
    await apply(a, header('ours/staff/d/', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(a, header('ours/f', { uid: 1000, gid: 1000 }));
    expect(chowns()).toEqual([
      'fchown /ours/staff/f 1000:1000',
      'lchown /ours/staff/l 1000:1000',
      'lchown /ours/staff/d 1000:1000',
    ]);
  });

  it('as root, chowns a directory a lower layer made even when the image owner is ours', async () => {
    await apply(as(1000, 1000), header('./', { type: 'directory', uid: 1000, gid: 1000 }));
    await apply(as(1000, 1000), header('d/', { type: 'directory', uid: 1001, gid: 1001 }));
    fake.chowns = [];
    await apply(as(1000, 1000), header('d/', { type: 'directory', uid: 1000, gid: 1000 }));
    expect(chowns()).toEqual(['lchown /d 1000:1000']);
  });

  it('without geteuid or getegid, chowns every new inode (no image id is -1)', async () => {
    // Either id alone unknown must do it: the other one matching the image owner is not enough.
    for (const [uid, gid] of [
      [undefined, 1],
      [1, undefined],
    ]) {
      const a = as(uid, gid);
      await apply(a, header('./', { type: 'directory', uid: 1, gid: 1 }));
      fake.chowns = [];
      await apply(a, header('f', { uid: 1, gid: 1 }));
      expect(chowns(), `uid ${uid}, gid ${gid}`).toEqual(['fchown /f 1:1']);
    }
  });
});

describe('LayerApplier file writes', () => {
  it('continues short writes until the whole body is written', async () => {
    fake.writeChunk = 3;
    const a = applier();
    await a.apply(header('f'), Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    expect(realFs.readFileSync(join(dir, 'f'), 'utf8')).toBe('hello world');
  });

  it('closes the file it wrote, and the one whose body failed', async () => {
    const a = applier();
    await apply(a, header('ok'), 'x');
    const failing = Object.assign(
      (async function* () {
        yield Buffer.from('part');
        throw new Error('connection reset');
      })(),
      { resume: () => undefined },
    );
    await expect(a.apply(header('cut'), failing)).rejects.toThrow(/could not be extracted: connection reset/);
    expect([...fake.open.values()]).toEqual([]);
  });

  it('opens a new file without looking at its path first', async () => {
    await apply(applier(), header('d/new'), 'x');
    expect(fake.lstats.map((p) => relative(dir, p))).toEqual(['d']);
  });

  it('replaces an existing file at the path', async () => {
    const a = applier();
    await apply(a, header('f'), 'old');
    await apply(a, header('f'), 'new');
    expect(realFs.readFileSync(join(dir, 'f'), 'utf8')).toBe('new');
  });

  it('reports an open that fails for any reason but EEXIST, without removing or retrying', async () => {
    const a = applier();
    fake.openError = 'EIO';
    await expect(apply(a, header('f'), 'x')).rejects.toThrow(/entry "f" could not be extracted: EIO/);
    expect(realFs.existsSync(join(dir, 'f'))).toBe(false);
    expect(fake.lstats).toEqual([]);
  });
});
