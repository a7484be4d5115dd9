import { lstatSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBody, tarHeader as header, nestedRootTree } from '../../../testing/layer-entries.js';
import { LayerApplier, type TarHeader } from './apply-entry.js';
import type { RootTree } from './root-tree.js';

/**
 * Owners, modes and times: what the PAX records and header say, and what the
 * unprivileged extraction leaves on disk. The root is nested below the temp
 * directory so that nothing a broken mutant lets through can land outside it.
 */
let tmp: string;
let dir: string;
let tree: RootTree;

beforeEach(() => {
  ({ tmp, dir, tree } = nestedRootTree('banger-apply-meta-'));
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function applier(): LayerApplier {
  return new LayerApplier(tree, 'sha256:layer', { chown: false, log: () => undefined });
}

async function apply(h: TarHeader, content = ''): Promise<void> {
  await applier().apply(h, entryBody(content));
}

/** The recorded [uid, gid] of a file whose header says 5:6 and whose PAX records both say `pax`. */
async function paxIds(pax: string): Promise<[number?, number?]> {
  await apply(header('f', { uid: 5, gid: 6, pax: { uid: pax, gid: pax } }));
  return [tree.owners.get('f')?.uid, tree.owners.get('f')?.gid];
}

/** The mtime (ms) a file gets whose header says 1,000,000 ms and whose PAX record says `pax`. */
async function paxMtime(pax: string): Promise<number> {
  await apply(header('f', { pax: { mtime: pax } }));
  return statSync(join(dir, 'f')).mtime.getTime();
}

describe('LayerApplier owners and times', () => {
  it('reads owners and mtimes from PAX records, falling back to the header for bad values', async () => {
    await apply(
      header('p', { uid: 1, gid: 2, pax: { uid: '4000000', gid: '4000001', mtime: '1700000000.5' } }),
    );
    expect(tree.owners.get('p')).toMatchObject({ uid: 4000000, gid: 4000001 });
    expect(statSync(join(dir, 'p')).mtime.getTime()).toBe(1_700_000_000_500);
    await apply(header('q', { uid: 1, gid: 2, pax: { uid: '-1', gid: 'x', mtime: 'soon' } }));
    expect(tree.owners.get('q')).toMatchObject({ uid: 1, gid: 2 });
    expect(statSync(join(dir, 'q')).mtime.getTime()).toBe(1_000_000);
    await apply(
      header('r', { uid: undefined, gid: undefined, mode: undefined, mtime: undefined, pax: { uid: '1.5' } }),
    );
    expect(tree.owners.get('r')).toEqual({ uid: 0, gid: 0, mode: 0o644, kind: 'file' });
    expect(statSync(join(dir, 'r')).mtime.getTime()).toBe(0);
    await apply(header('s', { mode: 0o177777 }));
    expect(tree.owners.get('s')?.mode).toBe(0o7777);
  });

  it('takes a PAX id of digits only, from 0 up to 2^32 - 2', async () => {
    expect(await paxIds('0')).toEqual([0, 0]);
    expect(await paxIds('10')).toEqual([10, 10]);
    expect(await paxIds('4294967294')).toEqual([4294967294, 4294967294]);
  });

  it('falls back to the header id for an empty PAX id (which unsets it), never to root', async () => {
    expect(await paxIds('')).toEqual([5, 6]);
  });

  it('falls back to the header id for PAX ids that are not plain digits or out of range', async () => {
    // (uid_t)-1 means "unchanged" to chown; Number() would read the others as some id or as root.
    for (const bad of ['4294967295', '99999999999999999999', ' 5', '5 ', '0x10', '1e3', 'x5', '5x', '-0']) {
      expect(await paxIds(bad), JSON.stringify(bad)).toEqual([5, 6]);
    }
  });

  it('takes a PAX mtime in decimal seconds, negative or with a fraction', async () => {
    expect(await paxMtime('0')).toBe(0);
    expect(await paxMtime('12')).toBe(12_000);
    expect(await paxMtime('1.25')).toBe(1_250);
    expect(await paxMtime('-1.5')).toBe(-1_500);
  });

  it('falls back to the header mtime for a PAX mtime that is empty, not a decimal or beyond a Date', async () => {
    // 9e12 s is past what a Date holds: futimes would fail with EINVAL and the whole pull with it.
    for (const bad of ['', ' 5', '5 ', 'x5', '5x', '5x5', '1.', '.5', '1e3', '9000000000000']) {
      expect(await paxMtime(bad), JSON.stringify(bad)).toBe(1_000_000);
    }
  });

  it('takes PAX mtimes up to the edge of what a Date holds', async () => {
    // A directory's mtime is only recorded (the finishing pass sets it), so no filesystem has to hold it.
    const dirMtime = async (pax: string) => {
      await apply(header('d/', { type: 'directory', pax: { mtime: pax } }));
      return tree.dirs.get('d')?.mtime.getTime();
    };
    expect(await dirMtime('8640000000000')).toBe(8.64e15);
    expect(await dirMtime('-8640000000000')).toBe(-8.64e15);
    expect(await dirMtime('8640000000000.001')).toBe(1_000_000);
  });
});

describe('LayerApplier on disk, unprivileged', () => {
  const me = process.geteuid?.() ?? 0;

  it('leaves everything owned by the daemon user: the image owners are only recorded', async () => {
    // Run as root (mutation testing is), a stray chown would give these the image's ids.
    await apply(header('d/', { type: 'directory', uid: 7, gid: 8 }));
    await apply(header('d/', { type: 'directory', uid: 9, gid: 10 }));
    await apply(header('d/f', { uid: 7, gid: 8 }), 'x');
    await apply(header('d/l', { type: 'symlink', linkname: 'f', uid: 7, gid: 8 }));
    for (const p of ['d', 'd/f', 'd/l']) expect(lstatSync(join(dir, p)).uid, p).toBe(me);
    expect(tree.owners.get('d')).toMatchObject({ uid: 9, gid: 10 });
  });

  it('creates directories owner-only while extracting; the finishing pass gives them their mode', async () => {
    await apply(header('open/', { type: 'directory', mode: 0o777 }));
    expect(statSync(join(dir, 'open')).mode & 0o7777).toBe(0o700);
    expect(tree.dirs.get('open')?.mode).toBe(0o777);
  });
});
