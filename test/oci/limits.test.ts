import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { type PullLimits, pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { blobOf, type EntrySpec, layerOf, tarOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

const runner = new SpawnRunner();
const MIB = 1024 * 1024;
let registry: TestRegistry;
let scratch: string;

/** 8 MiB of zeros: a few KiB on the wire, a small "bomb". */
const ZEROS: EntrySpec[] = [{ name: 'zeros', content: Buffer.alloc(8 * MIB) }];
/** 300 tiny files. */
const MANY: EntrySpec[] = Array.from({ length: 300 }, (_, i) => ({ name: `f${i}`, content: 'x' }));

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-limits-'));
  const push = async (name: string, layers: Awaited<ReturnType<typeof layerOf>>[]) => {
    const layout = join(scratch, name);
    await writeLayout(layout, 't', [{ layers }]);
    await pushLayout(layout, 't', `${registry.host}/${name}:t`);
  };
  await push('zeros', [await layerOf(ZEROS)]);
  await push('many', [await layerOf(MANY.slice(0, 150)), await layerOf(MANY.slice(150))]);
  // The same zeros compressed by the zstd tool (decompressed by it too, outside Node).
  const tar = await tarOf(ZEROS);
  await writeFile(join(scratch, 'zeros.tar'), tar);
  await runner.run(['zstd', '-q', '-o', join(scratch, 'zeros.tar.zst'), join(scratch, 'zeros.tar')]);
  const zst = blobOf(await readFile(join(scratch, 'zeros.tar.zst')));
  await push('zeros-zstd', [{ ...zst, diffId: blobOf(tar).digest }]);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Pulls `name` with `limits`; returns the error and what the pull left in its work directory. */
async function pullWith(name: string, limits?: Partial<PullLimits>) {
  const base = await mkdtemp(join(scratch, 'pull-'));
  const workDir = join(base, 'work');
  const cacheDir = join(base, 'cache');
  const result = await pullImage({
    ref: `${registry.host}/${name}:t`,
    cacheDir,
    workDir,
    runner,
    ...(limits ? { limits } : {}),
  }).then(
    async (image) => {
      await image.cleanup();
      return undefined;
    },
    (err: unknown) => err,
  );
  const blobs = await readdir(join(cacheDir, 'oci', 'blobs', 'sha256')).catch(() => []);
  return { err: result, leftInWorkDir: await readdir(workDir).catch(() => []), blobs };
}

describe('pull limits', () => {
  it('the test images pull with the default limits', async () => {
    for (const name of ['zeros', 'many', 'zeros-zstd']) {
      expect((await pullWith(name)).err).toBeUndefined();
    }
  });

  it('stops a gzip layer that uncompresses past the byte limit, leaving nothing behind', async () => {
    const { err, leftInWorkDir } = await pullWith('zeros', { maxBytes: 2 * MIB });
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'invalid_argument',
      message: `${registry.host}/zeros:t is too large: its layers uncompress to more than 2M, banger's limit for one pull; the image was not pulled; use a smaller image (or tag), or build one with \`banger image build\``,
    });
    expect(leftInWorkDir).toEqual([]);
  });

  it('stops a zstd layer at the byte limit too', async () => {
    const { err, leftInWorkDir } = await pullWith('zeros-zstd', { maxBytes: 2 * MIB });
    expect(err).toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/zeros-zstd:t is too large: its layers uncompress to more than 2M/),
    });
    expect(leftInWorkDir).toEqual([]);
  });

  it('counts entries across layers', async () => {
    const { err, leftInWorkDir } = await pullWith('many', { maxEntries: 200 });
    expect(err).toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(
        /many:t has too many files: its layers hold more than 200 entries, banger's limit for one pull; the image was not pulled/,
      ),
    });
    expect(leftInWorkDir).toEqual([]);
  });

  it('refuses layers already larger than the limit compressed, before downloading them', async () => {
    const { err, leftInWorkDir, blobs } = await pullWith('many', { maxBytes: 100 });
    expect(err).toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(
        /many:t is too large: its layers are [\d.]+K compressed, more than 100B/,
      ),
    });
    expect(leftInWorkDir).toEqual([]);
    // Only the manifest and config were fetched.
    expect(blobs.length).toBeLessThanOrEqual(2);
  });
});
