import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { BlobCache, cleanStalePulls, pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { imageBlobs, layerOf, OCI } from './helpers/layout.js';
import { serve } from './helpers/proxy.js';

const runner = new SpawnRunner();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-interrupt-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('interrupted pulls leave nothing behind', () => {
  it('a pull cancelled mid-download removes its partial blob and build directory', async () => {
    const layer = await layerOf([{ name: 'big', content: 'z'.repeat(200_000) }], false);
    const { config, manifest } = imageBlobs({ layers: [layer] });
    let trickling = false;
    const server = await serve((req, res) => {
      const path = req.url ?? '';
      if (path.endsWith('/manifests/v1')) {
        res.setHeader('content-type', OCI.manifest);
        res.end(manifest.bytes);
      } else if (path.endsWith(config.digest)) {
        res.end(config.bytes);
      } else {
        // Send a little of the layer, then stall forever.
        trickling = true;
        res.setHeader('content-length', String(layer.size));
        res.write(layer.bytes.subarray(0, 1000));
      }
    });
    try {
      const cacheDir = join(scratch, 'cache');
      const workDir = join(scratch, 'work');
      const abort = new AbortController();
      const pulling = pullImage({
        ref: `${server.host}/slow:v1`,
        cacheDir,
        workDir,
        runner,
        signal: abort.signal,
      });
      while (!trickling) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      const cache = new BlobCache(cacheDir);
      expect(await readdir(cache.tmpDir)).toHaveLength(1); // the partial download exists meanwhile
      abort.abort();
      const err = await pulling.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('cancelled');
      expect(await readdir(cache.tmpDir)).toEqual([]);
      expect(await readdir(workDir)).toEqual([]);
      expect(await cache.has(layer.digest, layer.size)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('cleanStalePulls removes build directories and partial downloads of a killed daemon, keeping blobs', async () => {
    const cacheDir = join(scratch, 'stale-cache');
    const workDir = join(scratch, 'stale-work');
    const cache = new BlobCache(cacheDir);
    await mkdir(join(workDir, 'oci-pull-abc123', 'tree', 'usr'), { recursive: true });
    await mkdir(join(workDir, 'someone-elses'), { recursive: true });
    await mkdir(cache.tmpDir, { recursive: true });
    await mkdir(cache.blobsDir, { recursive: true });
    await writeFile(join(cache.tmpDir, 'deadbeef.partial'), 'half');
    const blob = cache.pathOf(`sha256:${'a'.repeat(64)}`);
    await writeFile(blob, 'complete');
    const removed = await cleanStalePulls({ cacheDir, workDir });
    expect(removed).toEqual([join(workDir, 'oci-pull-abc123')]);
    expect(await readdir(workDir)).toEqual(['someone-elses']);
    expect(await readdir(cache.tmpDir)).toEqual([]);
    expect(await readdir(cache.blobsDir)).toEqual(['a'.repeat(64)]);
    // Nothing to clean is fine too.
    await expect(
      cleanStalePulls({ cacheDir: join(scratch, 'none'), workDir: join(scratch, 'none') }),
    ).resolves.toEqual([]);
  });
});
