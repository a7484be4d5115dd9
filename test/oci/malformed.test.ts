import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { BlobCache, pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { blobOf, imageBlobs, type Layer, OCI, tarOf } from './helpers/layout.js';
import { serve } from './helpers/proxy.js';

const runner = new SpawnRunner();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-malformed-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Serves one image whose only layer is `layer`, straight from memory (no registry checks). */
async function pullServed(layer: Layer): Promise<{ err: unknown; cacheDir: string; workDir: string }> {
  const { config, manifest } = imageBlobs({ layers: [layer] });
  const server = await serve((req, res) => {
    const path = req.url ?? '';
    if (path.endsWith('/manifests/v1')) {
      res.setHeader('content-type', OCI.manifest);
      res.end(manifest.bytes);
    } else if (path.endsWith(config.digest)) res.end(config.bytes);
    else if (path.endsWith(layer.digest)) res.end(layer.bytes);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  const base = await mkdtemp(join(scratch, 'pull-'));
  const cacheDir = join(base, 'cache');
  const workDir = join(base, 'work');
  try {
    const err = await pullImage({ ref: `${server.host}/bad:v1`, cacheDir, workDir, runner }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { err, cacheDir, workDir };
  } finally {
    await server.stop();
  }
}

describe('malformed layers fail cleanly with an AppError naming the layer', () => {
  it('a tar truncated inside a file, whose diff id is that of the whole tar', async () => {
    const tar = await tarOf([{ name: 'big', content: 'x'.repeat(10_000) }]);
    const cut = tar.subarray(0, 3000);
    const layer = { ...blobOf(gzipSync(cut)), diffId: blobOf(tar).digest };
    const { err, workDir } = await pullServed(layer);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain(`layer ${layer.digest}`);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('content that does not match the diff id in the config', async () => {
    const tar = await tarOf([{ name: 'a', content: 'a' }]);
    const other = await tarOf([{ name: 'b', content: 'b' }]);
    const layer = { ...blobOf(gzipSync(tar)), diffId: blobOf(other).digest };
    const { err, cacheDir } = await pullServed(layer);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toBe(
      `layer ${layer.digest} uncompresses to content hashing to ${blobOf(tar).digest}, but the image config says ${blobOf(other).digest}; the image is corrupt`,
    );
    // The blob itself is intact, so it stays cached.
    expect(await new BlobCache(cacheDir).has(layer.digest, layer.size)).toBe(true);
  });

  it('a gzip stream cut short', async () => {
    const tar = await tarOf([{ name: 'a', content: 'y'.repeat(50_000) }]);
    const gz = gzipSync(tar);
    const layer = { ...blobOf(gz.subarray(0, gz.length - 100)), diffId: blobOf(tar).digest };
    const { err } = await pullServed(layer);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(
      new RegExp(`layer ${layer.digest}.*(could not be read|uncompresses)`),
    );
  });

  it('a hardlink to a file that does not exist', async () => {
    const tar = await tarOf([{ name: 'x', type: 'link', linkname: 'missing' }]);
    const layer = { ...blobOf(gzipSync(tar)), diffId: blobOf(tar).digest };
    const { err } = await pullServed(layer);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('operation_failed');
    expect((err as AppError).message).toBe(
      `layer ${layer.digest}: entry "x" is a hardlink to "missing", which does not exist. The image is malformed and was not pulled.`,
    );
  });

  it('bytes that are not a tar at all', async () => {
    const junk = Buffer.from('this is not a tar archive, just some text that goes on '.repeat(20));
    const layer = { ...blobOf(junk), diffId: blobOf(junk).digest };
    const { err } = await pullServed(layer);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toContain(`layer ${layer.digest} could not be read`);
  });
});
