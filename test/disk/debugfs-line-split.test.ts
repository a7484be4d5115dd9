import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { createWorkDisk, writeFilesIntoExt4 } from '../../src/host/disk/index.js';
import { DEBUGFS_MAX_LINE_BYTES } from '../../src/host/ext4/debugfs.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { expectFsckClean, lsIn } from './helpers.js';

/**
 * debugfs reads `-f` scripts with fgets into an 8 KiB (BUFSIZ) buffer: a
 * longer line is cut at byte 8191 and the rest runs as a line of its own,
 * and a line starting with `!` is handed to the shell. These names are
 * ones a host directory can really hold (components ≤ 255 bytes, the path
 * < 4096 bytes); quoting doubles every `"`, so the script line grows past
 * the buffer and the cut lands exactly on a `!touch <tripwire>` that the
 * name carries.
 */
const runner = new SpawnRunner();
const SPLIT_AT = 8191;
let dir: string;
let image: string;
let tripwire: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-split-'));
  tripwire = join(dir, 'tripwire');
  image = join(dir, 'work.ext4');
  await createWorkDisk(runner, { path: image, bytes: 64 * 1024 * 1024 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quoted = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * A host tree `<src>/<"×255>/…/<pad>!touch /<tripwire path>;#` and the guest
 * path to copy it to, chosen so that `stat "<guest path of the file>"` (the
 * first command banger sends for it) has the `!` at byte SPLIT_AT.
 */
async function hostileTree(): Promise<{ source: string; guest: string }> {
  const source = join(dir, 'src');
  const quotes = Array.from({ length: 15 }, () => '"'.repeat(255));
  // The payload spans components: "…!touch ", then the tripwire's own path components; `;#` ends the shell command.
  const payload = `!touch ${tripwire};#`;
  const guestBase = `/${'g'.repeat(200)}/${'h'.repeat(200)}`;
  const before = `stat ${quoted(`${guestBase}/${quotes.join('/')}/`)}`.slice(0, -1);
  const pad = 'p'.repeat(SPLIT_AT - Buffer.byteLength(before));
  expect(pad.length).toBeGreaterThan(0);
  const [first, ...rest] = `${pad}${payload}`.split('/');
  const dirs = [...quotes, first ?? '', ...rest.slice(0, -1)];
  const leaf = rest.at(-1) ?? '';
  expect(dirs.every((c) => Buffer.byteLength(c) <= 255)).toBe(true);
  const hostDir = join(source, ...dirs);
  expect(Buffer.byteLength(join(hostDir, leaf))).toBeLessThan(4096);
  await mkdir(hostDir, { recursive: true });
  await writeFile(join(hostDir, leaf), 'x');
  const guestFile = `${guestBase}/${[...dirs, leaf].join('/')}`;
  const line = `stat ${quoted(guestFile)}`;
  expect(line.slice(SPLIT_AT)).toBe(`${payload}"`);
  return { source, guest: guestBase };
}

describe('debugfs script lines', () => {
  it('refuses a name whose debugfs command would be split, so its "!" fragment never reaches a shell', async () => {
    const { source, guest } = await hostileTree();
    const err = await writeFilesIntoExt4(runner, image, [
      { uid: 0, gid: 0, kind: 'copy', path: guest, source, mode: 0o600 },
    ]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(await stat(tripwire).catch(() => undefined)).toBeUndefined();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_argument');
    expect((err as AppError).message).toMatch(
      /^the path "\/g{20}.*" \(\d+ bytes\) is too long for a debugfs command/,
    );
    expect((err as AppError).message).toMatch(/shorten it/);
    // Nothing was written.
    expect(lsIn(image, '/')).toEqual(['lost+found']);
    expectFsckClean(image);
  });

  it('matches the real debugfs: a line of the maximum length is read whole, a longer one is cut', async () => {
    const echoed = async (bytes: number) => {
      const line = `stat "/${'x'.repeat(bytes - 'stat "/"'.length)}"`;
      expect(Buffer.byteLength(line)).toBe(bytes);
      const { stdout } = await runner.run(['debugfs', '-f', '-', image], { input: `${line}\n` });
      return stdout.split('\n').filter((l) => l.startsWith('debugfs: ')).length;
    };
    expect(await echoed(DEBUGFS_MAX_LINE_BYTES)).toBe(1);
    expect(await echoed(DEBUGFS_MAX_LINE_BYTES + 1)).toBe(2);
  });
});
