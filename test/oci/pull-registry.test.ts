import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { type PullProgress, pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { BASE_LAYER, EXPECTED_TREE, SECOND_LAYER, THIRD_LAYER } from './fixtures.js';
import { listExt4, mtimesOf, rootOf } from './helpers/ext4-list.js';
import { FIXED_MTIME, layerOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-test-'));
  const layers = [await layerOf(BASE_LAYER), await layerOf(SECOND_LAYER), await layerOf(THIRD_LAYER, false)];
  const layout = join(scratch, 'layout-tree');
  await writeLayout(layout, 'v1', [
    {
      layers,
      config: {
        Env: ['PATH=/usr/bin', 'A=b'],
        Entrypoint: ['/usr/bin/dash'],
        Cmd: ['-c', 'true'],
        WorkingDir: '/opt/app',
      },
    },
  ]);
  await pushLayout(layout, 'v1', `${registry.host}/tree:v1`);
  const multi = join(scratch, 'layout-multi');
  await writeLayout(multi, 'multi', [
    {
      layers: [await layerOf([{ name: 'arch', content: 'arm64' }])],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      layers: [await layerOf([{ name: 'arch', content: 'amd64' }])],
      platform: { os: 'linux', architecture: 'amd64' },
    },
    {
      layers: [await layerOf([{ name: 'arch', content: 'ppc' }])],
      platform: { os: 'linux', architecture: 'ppc64le' },
    },
  ]);
  await pushLayout(multi, 'multi', `${registry.host}/multi:latest`);
  const armOnly = join(scratch, 'layout-arm');
  await writeLayout(armOnly, 'arm', [
    {
      layers: [await layerOf([{ name: 'arch', content: 'arm64' }])],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    {
      layers: [await layerOf([{ name: 'arch', content: 's390x' }])],
      platform: { os: 'linux', architecture: 's390x' },
    },
  ]);
  await pushLayout(armOnly, 'arm', `${registry.host}/armonly:1`);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function dirs(): Promise<{ cacheDir: string; workDir: string }> {
  const base = await mkdtemp(join(scratch, 'pull-'));
  return { cacheDir: join(base, 'cache'), workDir: join(base, 'work') };
}

describe('pullImage against docker-registry', () => {
  it('flattens a three-layer image with whiteouts and opaque directories to exactly the expected tree', async () => {
    const { cacheDir, workDir } = await dirs();
    const events: PullProgress[] = [];
    const logs: string[] = [];
    const image = await pullImage({
      ref: `${registry.host}/tree:v1`,
      cacheDir,
      workDir,
      runner,
      onProgress: (e) => events.push(e),
      log: (m) => logs.push(m),
    });
    try {
      expect(image.reference).toBe(`${registry.host}/tree:v1`);
      expect(image.manifestDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(image.indexDigest).toBeUndefined();
      expect(image.layers).toHaveLength(3);
      expect(image.config).toEqual({
        env: ['PATH=/usr/bin', 'A=b'],
        entrypoint: ['/usr/bin/dash'],
        cmd: ['-c', 'true'],
        workingDir: '/opt/app',
        user: '',
      });
      expect(await listExt4(image.rootfsPath)).toEqual(EXPECTED_TREE);
      expect(await rootOf(image.rootfsPath)).toBe('040755 0:0');
      // Every file and directory the layers declare keeps the layer's mtime; only what banger
      // created (implicit parents, mount points) has another.
      const created = new Set(['/srv', '/srv/data', '/dev', '/proc', '/run', '/sys']);
      const mtimes = await mtimesOf(image.rootfsPath);
      expect(mtimes.size).toBe(EXPECTED_TREE.filter((l) => !l.includes(' 120777 ')).length);
      for (const [path, mtime] of mtimes) {
        if (!created.has(path)) expect([path, mtime]).toEqual([path, FIXED_MTIME.getTime()]);
      }
      await runner.run(['e2fsck', '-fn', image.rootfsPath]);
      // Only the image is left in the build directory: no tree, no scratch files.
      expect(await readdir(image.buildDir)).toEqual(['rootfs.ext4']);
      expect(logs.some((l) => l.includes('character-device entry dev/null'))).toBe(true);
      expect(logs.some((l) => l.includes('fifo entry dev/fifo'))).toBe(true);
      expect(new Set(events.map((e) => e.stage))).toEqual(
        new Set(['resolve', 'download', 'extract', 'ext4']),
      );
    } finally {
      await image.cleanup();
    }
    expect(await readdir(workDir)).toEqual([]);
  });

  it('builds the same tree unprivileged-style, fixing owners and modes with debugfs', async () => {
    const { cacheDir, workDir } = await dirs();
    const image = await pullImage({
      ref: `${registry.host}/tree:v1`,
      cacheDir,
      workDir,
      runner,
      ownership: 'debugfs',
    });
    try {
      expect(await listExt4(image.rootfsPath)).toEqual(EXPECTED_TREE);
      await runner.run(['e2fsck', '-fn', image.rootfsPath]);
    } finally {
      await image.cleanup();
    }
  });

  it('picks linux/amd64 out of a multi-platform index', async () => {
    const { cacheDir, workDir } = await dirs();
    const image = await pullImage({ ref: `${registry.host}/multi`, cacheDir, workDir, runner });
    try {
      expect(image.indexDigest).toMatch(/^sha256:/);
      expect(image.indexDigest).not.toBe(image.manifestDigest);
      expect(await listExt4(image.rootfsPath)).toContain('/arch 100644 0:0 "amd64"');
    } finally {
      await image.cleanup();
    }
  });

  it('pulls by digest', async () => {
    const first = await dirs();
    const byTag = await pullImage({ ref: `${registry.host}/multi:latest`, ...first, runner });
    await byTag.cleanup();
    const second = await dirs();
    const byDigest = await pullImage({
      ref: `${registry.host}/multi@${byTag.indexDigest}`,
      ...second,
      runner,
    });
    try {
      expect(byDigest.manifestDigest).toBe(byTag.manifestDigest);
    } finally {
      await byDigest.cleanup();
    }
  });

  it('names the available platforms when there is no linux/amd64', async () => {
    const { cacheDir, workDir } = await dirs();
    const err = await pullImage({ ref: `${registry.host}/armonly:1`, cacheDir, workDir, runner }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err.message).toMatch(
      /no linux\/amd64 image \(available platforms: linux\/arm64\/v8, linux\/s390x\)/,
    );
  });

  it('reports a missing tag as not_found', async () => {
    const { cacheDir, workDir } = await dirs();
    const err = await pullImage({ ref: `${registry.host}/tree:nope`, cacheDir, workDir, runner }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('not_found');
  });
});
