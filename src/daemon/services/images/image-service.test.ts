import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../host/logger.js';
import { resolvePaths } from '../../../host/paths.js';
import { openDatabase } from '../../../store/db.js';
import { FakeRunner } from '../../../testing/fake-runner.js';
import type { GoldenBuildOptions, GoldenBuildResult } from './golden-builder.js';
import { createImageServices, type ImageServicesOptions } from './index.js';
import type { OperationProgress } from './shared-operations.js';

/** A fake golden builder at the service seam: writes tiny files, waits for `release`, records its calls. */
function fakeBuilder(opts: { fail?: string } = {}) {
  const calls: GoldenBuildOptions[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let started: () => void = () => {};
  const running = new Promise<void>((r) => {
    started = r;
  });
  const build = async (o: GoldenBuildOptions): Promise<GoldenBuildResult> => {
    calls.push(o);
    await writeFile(join(o.dest, 'rootfs.ext4'), 'r'.repeat(1000));
    await writeFile(join(o.dest, 'work-seed.ext4'), 'w'.repeat(24));
    await mkdir(join(o.dest, 'kernel', 'modules'), { recursive: true });
    await writeFile(join(o.dest, 'kernel', 'vmlinux'), 'elf');
    await writeFile(join(o.dest, 'kernel', 'initrd.img'), 'cpio');
    o.onProgress?.({ stage: 'mmdebstrap', message: 'installing packages' });
    started();
    await new Promise<void>((resolve, reject) => {
      void gate.then(resolve);
      o.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    if (opts.fail) throw new Error(opts.fail);
    return {
      rootfs: join(o.dest, 'rootfs.ext4'),
      workSeed: join(o.dest, 'work-seed.ext4'),
      kernelDir: join(o.dest, 'kernel'),
      kernelVersion: '6.1.0-99-test',
      packages: ['systemd', 'openssh-server'],
      mode: 'unshare',
    };
  };
  return { build, calls, release: () => release(), running };
}

function setup(
  buildGolden: ReturnType<typeof fakeBuilder>['build'],
  extra: Partial<ImageServicesOptions> = {},
) {
  const home = mkdtempSync(join(tmpdir(), 'banger-imgsvc-'));
  const paths = resolvePaths({ HOME: home, XDG_RUNTIME_DIR: join(home, 'run') });
  const packagesFile = join(home, 'packages.txt');
  writeFileSync(packagesFile, 'systemd\nopenssh-server\n');
  const db = openDatabase(join(home, 'state.db'));
  const services = createImageServices({
    paths,
    runner: new FakeRunner(),
    logger: silentLogger(),
    db,
    defaultPackagesFile: packagesFile,
    buildGolden,
    ...extra,
  });
  return { paths, services, images: services.images, packagesFile };
}

const collector = () => {
  const events: OperationProgress[] = [];
  return { events, push: (e: OperationProgress) => void events.push(e) };
};

describe('ensureImage', () => {
  it('shares one build among concurrent callers, all of them seeing the progress', async () => {
    const builder = fakeBuilder();
    const { images, paths, packagesFile } = setup(builder.build);
    const callers = [collector(), collector(), collector()];
    const waits = callers.map((c) => images.ensureImage('debian-bookworm', c.push));
    await builder.running;
    builder.release();
    const results = await Promise.all(waits);
    expect(builder.calls).toHaveLength(1);
    expect(builder.calls[0]).toMatchObject({
      packagesFile,
      sizeBytes: 4 * 1024 ** 3,
      logFile: join(paths.stateDir, 'image-build', 'debian-bookworm.log'),
    });
    expect(builder.calls[0]?.dest.startsWith(`${paths.tmpDir}/`)).toBe(true);
    const dir = join(paths.imagesDir, 'debian-bookworm');
    for (const r of results) {
      expect(r).toEqual({
        image: 'debian-bookworm',
        rootfs: join(dir, 'rootfs.ext4'),
        workSeed: join(dir, 'work-seed.ext4'),
        kernel: {
          name: 'debian-bookworm',
          vmlinux: join(dir, 'kernel', 'vmlinux'),
          initrd: join(dir, 'kernel', 'initrd.img'),
          modulesDir: join(dir, 'kernel', 'modules'),
          version: '6.1.0-99-test',
        },
      });
    }
    for (const c of callers) expect(c.events.map((e) => e.message)).toContain('installing packages');
    expect(images.get('debian-bookworm')).toMatchObject({
      managed: true,
      sizeBytes: 1024,
      source: { kind: 'build', packages: ['systemd', 'openssh-server'], mode: 'unshare' },
    });
    expect(readdirSync(paths.tmpDir)).toEqual([]);
    // Present now: no second build.
    await images.ensureImage('debian-bookworm', () => {});
    expect(builder.calls).toHaveLength(1);
  });

  it('leaves no row and no files when the build fails, and tries again next time', async () => {
    const failing = fakeBuilder({ fail: 'mmdebstrap exited with status 1' });
    const { images, paths } = setup(failing.build);
    const wait = images.ensureImage('debian-bookworm', () => {});
    failing.release();
    await expect(wait).rejects.toThrow('mmdebstrap exited with status 1');
    expect(images.list()).toEqual([]);
    expect(existsSync(join(paths.imagesDir, 'debian-bookworm'))).toBe(false);
    expect(readdirSync(paths.tmpDir)).toEqual([]);
    await expect(images.ensureImage('debian-bookworm', () => {})).rejects.toThrow('mmdebstrap');
    expect(failing.calls).toHaveLength(2);
  });

  it('keeps building while one caller remains, and aborts the build when the last one leaves', async () => {
    const builder = fakeBuilder();
    const { images, paths } = setup(builder.build);
    const a = new AbortController();
    const b = new AbortController();
    const first = images.ensureImage('debian-bookworm', () => {}, a.signal);
    const second = images.ensureImage('debian-bookworm', () => {}, b.signal);
    await builder.running;
    a.abort();
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    expect(builder.calls[0]?.signal?.aborted).toBe(false);
    b.abort();
    await expect(second).rejects.toMatchObject({ code: 'cancelled' });
    expect(builder.calls[0]?.signal?.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 50)); // the aborted build cleans up behind the callers
    expect(images.list()).toEqual([]);
    expect(readdirSync(paths.tmpDir)).toEqual([]);
    expect(existsSync(paths.imagesDir)).toBe(false);
  });

  it('names the commands that make an image other than the default', async () => {
    const { images } = setup(fakeBuilder().build);
    await expect(images.ensureImage('mine', () => {})).rejects.toMatchObject({
      code: 'not_found',
      message:
        'no image named "mine"; see `banger image list`, or make it with `banger image pull` or `banger image build`',
    });
    await expect(images.ensureImage('Bad!', () => {})).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('ensureImage with an OCI reference', () => {
  it('pulls it once under its derived name, pairing it with the default kernel pulled on demand', async () => {
    const pulls: string[] = [];
    const kernelPulls: string[] = [];
    const sha = 'a'.repeat(64);
    const pullOci: ImageServicesOptions['pullOci'] = async (o) => {
      pulls.push(o.ref);
      const buildDir = join(o.workDir, 'oci-pull-test');
      await mkdir(buildDir, { recursive: true });
      await writeFile(join(buildDir, 'rootfs.ext4'), 'rootfs');
      return {
        rootfsPath: join(buildDir, 'rootfs.ext4'),
        buildDir,
        reference: o.ref,
        manifestDigest: `sha256:${sha}`,
        indexDigest: undefined,
        configDigest: `sha256:${sha}`,
        config: { env: [], entrypoint: [], cmd: [], workingDir: '', user: '' },
        layers: [],
        sizeBytes: 6,
        cleanup: () => rm(buildDir, { recursive: true, force: true }),
      };
    };
    const pullKernel: ImageServicesOptions['pullKernel'] = async (o) => {
      kernelPulls.push(o.name);
      const manifest = {
        schemaVersion: 1 as const,
        version: '6.1.0-99-test',
        vmlinux: { sha256: sha, size: 1, compression: 'lz4', pvhEntry: 1 },
        initrd: { sha256: sha, size: 1, modules: ['overlay'], builtin: [] },
        source: { kind: 'deb' as const, catalog: o.name },
        createdAt: new Date().toISOString(),
      };
      await mkdir(o.dest, { recursive: true });
      await writeFile(join(o.dest, 'kernel.json'), JSON.stringify(manifest));
      return manifest;
    };
    const { images, paths } = setup(fakeBuilder().build, { pullOci, pullKernel });
    const ref = 'registry.example/team/app:1.2';
    const [a, b] = await Promise.all([images.ensureImage(ref, () => {}), images.ensureImage(ref, () => {})]);
    expect(pulls).toEqual([ref]);
    expect(kernelPulls).toEqual(['debian-bookworm-cloud']);
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      image: 'app-1-2',
      rootfs: join(paths.imagesDir, 'app-1-2', 'rootfs.ext4'),
      kernel: { name: 'debian-bookworm-cloud', version: '6.1.0-99-test' },
    });
    await images.ensureImage(ref, () => {}); // present now
    expect(pulls).toHaveLength(1);
    expect(readdirSync(paths.tmpDir)).toEqual([]);
  });
});

describe('image pull of a catalog name', () => {
  it('builds debian-bookworm with the golden recipe instead of asking docker.io, under --name too', async () => {
    const builder = fakeBuilder();
    builder.release();
    const { images } = setup(builder.build);
    const pulled = await images.pull({ ref: 'debian-bookworm' }, () => {});
    expect(pulled).toMatchObject({ name: 'debian-bookworm', source: { kind: 'build' } });
    const named = await images.pull({ ref: 'debian-bookworm', name: 'mine' }, () => {});
    expect(named).toMatchObject({ name: 'mine', source: { kind: 'build' } });
    expect(builder.calls).toHaveLength(2);
    await expect(images.pull({ ref: 'debian-bookworm' }, () => {})).rejects.toThrow(
      'an image named "debian-bookworm" already exists',
    );
    expect(builder.calls).toHaveLength(2);
  });
});
