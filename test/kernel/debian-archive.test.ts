import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { DEBIAN_ARCHIVE_KEYRING } from '../../src/host/images/kernel/debian-archive.js';
import { readKernelManifest } from '../../src/host/images/kernel/manifest.js';
import { pullCatalogKernel } from '../../src/host/images/kernel/pull-kernel.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { type FakeMirror, startFakeMirror } from './support/fake-mirror.js';
import { buildSyntheticKernelDeb, SYNTHETIC_VERSION } from './support/synthetic-kernel.js';
import { makeTempDir, type TempDir } from './support/temp-dir.js';

const IMAGE_PKG = 'linux-image-6.1.0-99-cloud-amd64';
const DEB_PATH = `/pool/main/l/linux/${IMAGE_PKG}_6.1.999-1_amd64.deb`;

describe('kernel pull from a Debian archive (local mirror)', () => {
  let deb: Buffer;
  let mirror: FakeMirror;
  let tmp: TempDir;
  const runner = new SpawnRunner();

  beforeAll(async () => {
    deb = await buildSyntheticKernelDeb(IMAGE_PKG, '6.1.999-1');
  });
  beforeEach(async () => {
    tmp = await makeTempDir('banger-archive-');
    mirror = await startFakeMirror('bookworm', [
      {
        name: 'linux-image-cloud-amd64',
        version: '6.1.999-1',
        depends: `${IMAGE_PKG} (= 6.1.999-1)`,
        deb: Buffer.from('meta'),
      },
      { name: IMAGE_PKG, version: '6.1.999-1', depends: 'kmod, linux-base (>= 4.3~)', deb },
    ]);
  });
  afterEach(async () => {
    await mirror.close();
    await tmp.remove();
  });

  const pull = (dest = join(tmp.path, 'kernels', 'debian-bookworm-cloud')) =>
    pullCatalogKernel({
      runner,
      name: 'debian-bookworm-cloud',
      cacheDir: join(tmp.path, 'cache'),
      dest,
      mirror: mirror.url,
      insecureSkipSignature: true,
    });

  it('resolves the metapackage, verifies and caches the .deb, and builds the kernel set', async () => {
    const events: string[] = [];
    const manifest = await pullCatalogKernel({
      runner,
      name: 'debian-bookworm-cloud',
      cacheDir: join(tmp.path, 'cache'),
      dest: join(tmp.path, 'kernels', 'k'),
      mirror: mirror.url,
      insecureSkipSignature: true,
      onProgress: (e) => events.push(`${e.stage}: ${e.message}`),
    });
    expect(manifest.version).toBe(SYNTHETIC_VERSION);
    expect(manifest.source).toMatchObject({
      kind: 'deb',
      catalog: 'debian-bookworm-cloud',
      package: IMAGE_PKG,
      packageVersion: '6.1.999-1',
    });
    expect(manifest.vmlinux.compression).toBe('gzip');
    expect(manifest.initrd.modules).toContain('virtio_blk');
    expect(await readKernelManifest(join(tmp.path, 'kernels', 'k'))).toEqual(manifest);
    expect(events.some((e) => e.startsWith(`resolve: linux-image-cloud-amd64 → ${IMAGE_PKG}`))).toBe(true);
    // The index is fetched by hash, and the metapackage's own .deb is never downloaded.
    expect(mirror.requests.filter((r) => r.includes('/by-hash/SHA256/'))).toHaveLength(1);
    expect(mirror.requests.filter((r) => r.endsWith('.deb'))).toEqual([DEB_PATH]);
    expect(await readdir(join(tmp.path, 'cache', 'pool'))).toHaveLength(1);
  });

  it('rejects a .deb whose sha256 does not match the index and caches nothing', async () => {
    const tampered = Buffer.from(deb);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff;
    mirror.serve(DEB_PATH, tampered);
    await expect(pull()).rejects.toMatchObject({
      code: 'operation_failed',
      message: expect.stringMatching(/sha256 mismatch/),
    });
    expect(await readdir(join(tmp.path, 'cache', 'pool'))).toEqual([]);
    expect(await stat(join(tmp.path, 'kernels')).catch(() => undefined)).toBeUndefined();
  });

  it('rejects a truncated .deb and caches nothing', async () => {
    mirror.serve(DEB_PATH, deb.subarray(0, deb.length - 100));
    await expect(pull()).rejects.toThrow(/has \d+ bytes, expected \d+/);
    expect(await readdir(join(tmp.path, 'cache', 'pool'))).toEqual([]);
  });

  it('rejects a tampered package index before downloading any package', async () => {
    await pull(join(tmp.path, 'first')); // learn the by-hash path
    const byHash = mirror.requests.find((r) => r.includes('/by-hash/'));
    expect(byHash).toBeDefined();
    mirror.serve(byHash as string, Buffer.from('not the index'));
    mirror.requests.length = 0;
    await expect(
      pullCatalogKernel({
        runner,
        name: 'debian-bookworm-cloud',
        cacheDir: join(tmp.path, 'cache2'),
        dest: join(tmp.path, 'second'),
        mirror: mirror.url,
        insecureSkipSignature: true,
      }),
    ).rejects.toThrow(/expected \d+|sha256 mismatch/);
    expect(mirror.requests.some((r) => r.endsWith('.deb'))).toBe(false);
    expect(await readdir(join(tmp.path, 'cache2', 'by-hash'))).toEqual([]);
  });

  it('refuses an InRelease that fails signature verification', async () => {
    await expect(
      pullCatalogKernel({
        runner,
        name: 'debian-bookworm-cloud',
        cacheDir: join(tmp.path, 'cache'),
        dest: join(tmp.path, 'k'),
        mirror: mirror.url,
        keyring: DEBIAN_ARCHIVE_KEYRING,
      }),
    ).rejects.toThrow(/failed signature verification/);
    expect(mirror.requests.some((r) => r.includes('by-hash'))).toBe(false);
  });

  it('reports an HTTP error with the URL', async () => {
    await expect(
      pullCatalogKernel({
        runner,
        name: 'debian-bookworm-cloud',
        cacheDir: join(tmp.path, 'cache'),
        dest: join(tmp.path, 'other'),
        mirror: `${mirror.url}/missing`,
        insecureSkipSignature: true,
      }),
    ).rejects.toThrow(/\/missing\/dists\/bookworm\/InRelease: HTTP 404/);
  });

  it('refuses to pull when the keyring is missing, before fetching anything', async () => {
    const missing = join(tmp.path, 'no-such-keyring.gpg');
    const dest = join(tmp.path, 'kernels', 'k');
    const err = await pullCatalogKernel({
      runner,
      name: 'debian-bookworm-cloud',
      cacheDir: join(tmp.path, 'cache'),
      dest,
      mirror: mirror.url,
      keyring: missing,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'host_unsupported',
      message: `cannot verify the signature of ${mirror.url}/dists/bookworm/InRelease: the keyring ${missing} is missing. Install it (sudo apt-get install debian-archive-keyring) and pull again; to pull without the signature check, trusting HTTPS alone, set insecure_skip_kernel_signature = true in config.toml`,
    });
    expect(mirror.requests).toEqual([]);
    expect(await stat(join(tmp.path, 'kernels')).catch(() => undefined)).toBeUndefined();
  });

  it('pulls without the keyring only when the user opted out of the check, and says so', async () => {
    const events: string[] = [];
    const manifest = await pullCatalogKernel({
      runner,
      name: 'debian-bookworm-cloud',
      cacheDir: join(tmp.path, 'cache'),
      dest: join(tmp.path, 'kernels', 'k'),
      mirror: mirror.url,
      keyring: join(tmp.path, 'no-such-keyring.gpg'),
      insecureSkipSignature: true,
      onProgress: (e) => events.push(e.message),
    });
    expect(manifest.version).toBe(SYNTHETIC_VERSION);
    expect(events).toContain(
      'InRelease signature NOT checked (insecure_skip_kernel_signature); trusting HTTPS and sha256 only',
    );
  });
});
