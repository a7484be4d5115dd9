import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { BlobCache, pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { listExt4 } from './helpers/ext4-list.js';
import { blobOf, imageBlobs, type Layer, layerOf, OCI, writeLayout } from './helpers/layout.js';
import { forward, serve, tokenGate } from './helpers/proxy.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;
let layers: Layer[];

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-cache-'));
  layers = [
    await layerOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/one', content: 'one' },
    ]),
    await layerOf([{ name: 'etc/two', content: 'two' }]),
  ];
  const layout = join(scratch, 'layout');
  await writeLayout(layout, 'v1', [{ layers }]);
  await pushLayout(layout, 'v1', `${registry.host}/small:v1`);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function dirs(): Promise<{ cacheDir: string; workDir: string }> {
  const base = await mkdtemp(join(scratch, 'pull-'));
  return { cacheDir: join(base, 'cache'), workDir: join(base, 'work') };
}

const blobGets = (reqs: { method: string; path: string }[]) =>
  reqs.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length;

describe('blob cache', () => {
  it('downloads each blob once; a second pull only fetches the manifest', async () => {
    const counter = await serve((req, res) => forward(registry.host, req, res));
    try {
      const { cacheDir, workDir } = await dirs();
      const first = await pullImage({ ref: `${counter.host}/small:v1`, cacheDir, workDir, runner });
      await first.cleanup();
      expect(blobGets(counter.requests)).toBe(3); // two layers and the config
      const cache = new BlobCache(cacheDir);
      for (const layer of layers) expect((await stat(cache.pathOf(layer.digest))).size).toBe(layer.size);
      counter.requests.length = 0;
      const second = await pullImage({ ref: `${counter.host}/small:v1`, cacheDir, workDir, runner });
      try {
        expect(blobGets(counter.requests)).toBe(0);
        expect(counter.requests.map((r) => r.path)).toEqual(['/v2/small/manifests/v1']);
        expect(await listExt4(second.rootfsPath)).toContain('/etc/two 100644 0:0 "two"');
      } finally {
        await second.cleanup();
      }
    } finally {
      await counter.stop();
    }
  });

  it('notices a cached blob corrupted on disk, evicts it and downloads it again', async () => {
    const { cacheDir, workDir } = await dirs();
    const first = await pullImage({ ref: `${registry.host}/small:v1`, cacheDir, workDir, runner });
    await first.cleanup();
    const path = new BlobCache(cacheDir).pathOf(layers[1]?.digest ?? '');
    const good = await readFile(path);
    const bad = Buffer.from(good);
    bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 0xff; // same size, different bytes
    await writeFile(path, bad);
    const logs: string[] = [];
    const second = await pullImage({
      ref: `${registry.host}/small:v1`,
      cacheDir,
      workDir,
      runner,
      log: (m) => logs.push(m),
    });
    await second.cleanup();
    expect(logs.join('\n')).toContain(`cached blob ${layers[1]?.digest} was corrupt`);
    expect(await readFile(path)).toEqual(good);
  });
});

describe('a registry serving a corrupt blob', () => {
  it('refuses the blob, names its digest and caches nothing', async () => {
    const good = layers[0] as Layer;
    const { config, manifest } = imageBlobs({ layers: [good] });
    const tampered = Buffer.from(good.bytes);
    tampered[20] = (tampered[20] ?? 0) ^ 0x55;
    const server = await serve((req, res) => {
      const path = req.url ?? '';
      if (path === '/v2/evil/manifests/v1') {
        res.setHeader('content-type', OCI.manifest);
        res.end(manifest.bytes);
      } else if (path === `/v2/evil/blobs/${config.digest}`) {
        res.end(config.bytes);
      } else if (path === `/v2/evil/blobs/${good.digest}`) {
        res.end(tampered);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    try {
      const { cacheDir, workDir } = await dirs();
      const err = await pullImage({ ref: `${server.host}/evil:v1`, cacheDir, workDir, runner }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err.message).toContain(`blob ${good.digest} from the registry is corrupt`);
      expect(err.message).toContain(blobOf(tampered).digest);
      const cache = new BlobCache(cacheDir);
      expect(await readdir(cache.blobsDir)).toEqual([config.digest.slice(7)]);
      expect(await readdir(cache.tmpDir)).toEqual([]);
      expect(await readdir(workDir)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('refuses a blob longer than its descriptor says', async () => {
    const good = layers[0] as Layer;
    const { config, manifest } = imageBlobs({ layers: [good] });
    const server = await serve((req, res) => {
      const path = req.url ?? '';
      if (path.endsWith('/manifests/v1')) {
        res.setHeader('content-type', OCI.manifest);
        res.end(manifest.bytes);
      } else if (path.endsWith(config.digest)) res.end(config.bytes);
      else res.end(Buffer.concat([good.bytes, Buffer.alloc(1024 * 1024)]));
    });
    try {
      const { cacheDir, workDir } = await dirs();
      const err = await pullImage({ ref: `${server.host}/long:v1`, cacheDir, workDir, runner }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err.message).toContain(`blob ${good.digest} is longer than the ${good.size} bytes`);
      expect(await new BlobCache(cacheDir).has(good.digest, good.size)).toBe(false);
    } finally {
      await server.stop();
    }
  });
});

describe('transport', () => {
  it('speaks HTTPS to a registry that is not localhost/127.0.0.1 unless insecure is set', async () => {
    // 127.0.0.2 is still this machine, but banger only trusts the names localhost and 127.0.0.1 with plain HTTP.
    const plain = await serve((req, res) => forward(registry.host, req, res), '127.0.0.2');
    try {
      const { cacheDir, workDir } = await dirs();
      const err = await pullImage({ ref: `${plain.host}/small:v1`, cacheDir, workDir, runner }).catch(
        (e) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect(err.message).toContain(`could not reach the registry at https://${plain.host}`);
      expect(plain.requests).toEqual([]); // the TLS hello is not an HTTP request
      const image = await pullImage({
        ref: `${plain.host}/small:v1`,
        cacheDir,
        workDir,
        runner,
        insecure: true,
      });
      await image.cleanup();
      expect(plain.requests.length).toBeGreaterThan(0);
    } finally {
      await plain.stop();
    }
  });
});

describe('bearer token challenge', () => {
  it('fetches an anonymous token from the realm and retries with it', async () => {
    const gate = await tokenGate(registry.host, 'secret-token-123');
    try {
      const { cacheDir, workDir } = await dirs();
      const image = await pullImage({ ref: `${gate.host}/small:v1`, cacheDir, workDir, runner });
      await image.cleanup();
      expect(gate.tokenRequests.length).toBeGreaterThanOrEqual(1);
      expect(gate.tokenRequests[0]?.searchParams.get('scope')).toBe('repository:small:pull');
      const v2 = gate.requests.filter((r) => r.path.startsWith('/v2/'));
      expect(v2[0]).toMatchObject({ status: 401, authorization: undefined });
      const served = v2.filter((r) => r.status === 200);
      expect(served.length).toBe(4); // manifest, config, two layers
      expect(served.every((r) => r.authorization === 'Bearer secret-token-123')).toBe(true);
    } finally {
      await gate.stop();
    }
  });

  it('follows blob redirects to another origin without sending the token there', async () => {
    const cdn = await serve((req, res) => forward(registry.host, req, res));
    const gate = await tokenGate(registry.host, 'secret-token-456', { redirectBlobsTo: cdn.host });
    try {
      const { cacheDir, workDir } = await dirs();
      const image = await pullImage({ ref: `${gate.host}/small:v1`, cacheDir, workDir, runner });
      await image.cleanup();
      expect(gate.requests.filter((r) => r.status === 307)).toHaveLength(3);
      expect(cdn.requests.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(cdn.requests.every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      await gate.stop();
      await cdn.stop();
    }
  });

  it('explains a registry that only offers Basic auth', async () => {
    const server = await serve((_req, res) => {
      res.statusCode = 401;
      res.setHeader('www-authenticate', 'Basic realm="private"');
      res.end();
    });
    try {
      const { cacheDir, workDir } = await dirs();
      const err = await pullImage({ ref: `${server.host}/x:y`, cacheDir, workDir, runner }).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.message).toContain('requires basic authentication');
    } finally {
      await server.stop();
    }
  });
});
