import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifiedDownload } from './verified-download.js';

const BODY = Buffer.from('a tarball, as the registry serves it\n');
const sha256 = createHash('sha256').update(BODY).digest('hex');
const integrity = `sha512-${createHash('sha512').update(BODY).digest('base64')}`;
const fetchImpl = (async () => new Response(BODY)) as typeof fetch;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-verified-download-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verifiedDownload', () => {
  it('accepts a body matching its sha256 or its npm integrity (sha512 SRI)', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await verifiedDownload({ url: 'https://x/a', sha256, dest: a, fetchImpl });
    await verifiedDownload({ url: 'https://x/b', integrity, dest: b, fetchImpl });
    expect(await readFile(a)).toEqual(BODY);
    expect(await readFile(b)).toEqual(BODY);
  });

  it('discards a body whose sha512 differs and leaves nothing behind', async () => {
    const other = `sha512-${createHash('sha512').update('something else').digest('base64')}`;
    const err = await verifiedDownload({
      url: 'https://x/c',
      integrity: other,
      dest: join(dir, 'c'),
      fetchImpl,
    }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^sha512 mismatch for https:\/\/x\/c: got [0-9a-f]{128}, expected/,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an integrity string that is not sha512 before fetching', async () => {
    const sha1 = `sha1-${createHash('sha1').update(BODY).digest('base64')}`;
    const refused = (async () => {
      throw new Error('must not fetch');
    }) as typeof fetch;
    await expect(
      verifiedDownload({ url: 'https://x/d', integrity: sha1, dest: join(dir, 'd'), fetchImpl: refused }),
    ).rejects.toThrow(/invalid integrity/);
  });
});
