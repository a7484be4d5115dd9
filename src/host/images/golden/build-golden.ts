import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import { resolvePaths } from '../../paths.js';
import type { Runner } from '../../runner.js';
import { buildKernelSet } from '../kernel/kernel-set.js';
import { defaultOwnershipMode } from '../oci/ownership.js';
import { bootstrapTarball } from './bootstrap.js';
import { BuildLog } from './build-log.js';
import { ext4FromTree, splitRootHome, unpackTarball } from './image-files.js';
import { fetchMiseTarball, installMise, MISE_IMAGE_PATH, MISE_VERSION } from './mise.js';
import { mmdebstrapMode } from './mmdebstrap-mode.js';
import { readPackageList } from './packages-file.js';

export { defaultPackagesFile } from './packages-file.js';

export const DEFAULT_GOLDEN_SIZE_BYTES = 4 * 1024 ** 3;

/** Bumped whenever the builder's output changes for the same package list (caches key on it). */
export const GOLDEN_BUILDER_VERSION = 2;

export interface GoldenBuildOptions {
  runner: Runner;
  /** The package list (see defaultPackagesFile() for banger's own). */
  packagesFile: string;
  /** Size of rootfs.ext4 (a sparse file). */
  sizeBytes: number;
  /** An existing, empty directory (inside the state dir) that receives the results. */
  dest: string;
  /** The full build log; created 0600 if missing, appended to otherwise. */
  logFile: string;
  /** banger's download cache (the mise tarball goes to `<cacheDir>/npm/`); default resolvePaths().cacheDir. */
  cacheDir?: string;
  /** Debian mirror; default http://deb.debian.org/debian (which also adds Debian's security archive). */
  mirror?: string;
  onProgress?: (e: { stage: string; message: string }) => void;
  /** Aborting kills mmdebstrap and whatever runs, and rejects with AppError `cancelled`. */
  signal?: AbortSignal;
}

export interface GoldenBuildResult {
  /** `<dest>/rootfs.ext4` */
  rootfs: string;
  /** `<dest>/work-seed.ext4`: the image's /root, whose root is 0:0 0700. */
  workSeed: string;
  /** `<dest>/kernel`: a kernel set (vmlinux, initrd.img, modules/, kernel.json). */
  kernelDir: string;
  kernelVersion: string;
  /** The packages asked for (from the package list). */
  packages: string[];
  /** How many packages ended up installed (dependencies included). */
  installedPackages: number;
  mode: 'unshare' | 'root';
  /** Wall time of each stage, in order. */
  timings: { stage: string; ms: number }[];
}

/**
 * Builds the golden Debian bookworm image into `dest`: mmdebstrap (rootless
 * `--mode=unshare` where the host allows, `--mode=root` as root) writes a
 * tarball with banger's guest configuration applied (guest-config.ts); the
 * tarball is unpacked with the OCI flattener; the image's /root becomes
 * `work-seed.ext4` and an empty mount point; `rootfs.ext4` keeps every
 * owner, mode and setuid bit (lchown as root, debugfs otherwise); the
 * kernel set comes from the image's own kernel package.
 *
 * Contract: on success `dest` holds exactly rootfs.ext4, work-seed.ext4 and
 * kernel/, all fsynced. On failure or abort it rejects with an AppError and
 * removes everything it wrote to `dest`; making the result visible
 * atomically (rename of `dest`) is the caller's job.
 */
export async function buildGoldenImage(o: GoldenBuildOptions): Promise<GoldenBuildResult> {
  const entries = await readdir(o.dest).catch((err: unknown) => {
    throw new AppError('internal', `image build directory ${o.dest} is not usable`, { cause: err });
  });
  if (entries.length > 0) throw new AppError('internal', `image build directory ${o.dest} is not empty`);
  const log = new BuildLog(o.logFile);
  const buildStart = Date.now();
  // Ends the mise download when the build fails before it is needed.
  const stopDownloads = new AbortController();
  const timings: GoldenBuildResult['timings'] = [];
  let stageStart = Date.now();
  let current = '';
  const progress = (stage: string, message: string) => {
    if (stage !== current) {
      if (current !== '') timings.push({ stage: current, ms: Date.now() - stageStart });
      current = stage;
      stageStart = Date.now();
    }
    log.line(`${stage}: ${message}`);
    o.onProgress?.({ stage, message });
  };
  const checkAbort = () => {
    if (o.signal?.aborted) throw new AppError('cancelled', 'image build cancelled');
  };
  const buildDir = join(o.dest, '.build');
  const rootfs = join(o.dest, 'rootfs.ext4');
  const workSeed = join(o.dest, 'work-seed.ext4');
  const kernelDir = join(o.dest, 'kernel');
  try {
    const packages = await readPackageList(o.packagesFile);
    const how = await mmdebstrapMode(o.runner);
    if (how.mode === 'unavailable') {
      throw new AppError(
        'host_unsupported',
        `cannot build the image: ${how.detail}; ${how.fix ?? ''}`.trim(),
      );
    }
    const mode = how.mode;
    // Fetched from the npm registry while mmdebstrap runs; awaited once the tree is unpacked.
    const miseTarball = fetchMiseTarball({
      cacheDir: o.cacheDir ?? resolvePaths().cacheDir,
      signal: o.signal ? AbortSignal.any([o.signal, stopDownloads.signal]) : stopDownloads.signal,
    });
    miseTarball.catch(() => {});
    progress(
      'bootstrap',
      `mmdebstrap bookworm (${how.detail}), ${packages.length} packages from ${o.packagesFile}`,
    );
    await mkdir(join(buildDir, 'tmp'), { recursive: true, mode: 0o700 });
    const tarPath = join(buildDir, 'rootfs.tar');
    await bootstrapTarball({
      runner: o.runner,
      mode,
      packages,
      ...(o.mirror ? { mirror: o.mirror } : {}),
      tarPath,
      tmpDir: join(buildDir, 'tmp'),
      log,
      onProgress: (e) => progress(e.stage, e.message),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    checkAbort();

    const ownership = defaultOwnershipMode();
    const tarBytes = (await stat(tarPath)).size;
    progress('unpack', `unpacking ${(tarBytes / 1e6).toFixed(0)} MB tarball (ownership: ${ownership})`);
    const tree = await unpackTarball({
      tarPath,
      treeDir: join(buildDir, 'tree'),
      ownership,
      log: (m) => log.line(m),
    });
    await rm(tarPath, { force: true });
    await rm(join(buildDir, 'tmp'), { recursive: true, force: true });
    checkAbort();
    progress('mise', `installing mise ${MISE_VERSION} (npm registry, sha512-verified) at ${MISE_IMAGE_PATH}`);
    await installMise(tree, await miseTarball, ownership === 'chown');
    checkAbort();
    const workOwners = await splitRootHome(tree, join(buildDir, 'work'));

    progress('ext4', `building rootfs.ext4 (${(o.sizeBytes / 1024 ** 3).toFixed(1)} GiB, sparse)`);
    await ext4FromTree({
      runner: o.runner,
      dir: tree.root,
      owners: tree.owners,
      ownership,
      output: rootfs,
      label: 'rootfs',
      sizeBytes: o.sizeBytes,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    checkAbort();

    progress('work-seed', 'building work-seed.ext4 from the image /root');
    await ext4FromTree({
      runner: o.runner,
      dir: join(buildDir, 'work'),
      owners: workOwners,
      ownership,
      output: workSeed,
      label: 'work',
      ...(o.signal ? { signal: o.signal } : {}),
    });
    checkAbort();

    progress('kernel', "building the kernel set from the image's kernel package");
    const kernel = await buildKernelSet({
      runner: o.runner,
      input: { kind: 'rootfs', root: tree.root },
      dest: kernelDir,
      onProgress: (e) => progress('kernel', e.message),
    });
    const installedPackages = await countInstalled(tree.root);
    await rm(buildDir, { recursive: true, force: true });
    await fsyncDir(o.dest);
    progress(
      'done',
      `image built in ${((Date.now() - buildStart) / 1000).toFixed(0)} s: ${packages.length} packages asked for, ` +
        `${installedPackages} installed, kernel ${kernel.version}, mise ${MISE_VERSION}; ` +
        `rootfs.ext4 ${await allocatedMB(rootfs)} MB used of ${(o.sizeBytes / 1024 ** 3).toFixed(1)} GiB, ` +
        `work-seed.ext4 ${await allocatedMB(workSeed)} MB`,
    );
    return {
      rootfs,
      workSeed,
      kernelDir,
      kernelVersion: kernel.version,
      packages,
      installedPackages,
      mode,
      timings,
    };
  } catch (err) {
    const failure =
      o.signal?.aborted && !(err instanceof AppError && err.code === 'cancelled')
        ? new AppError('cancelled', 'image build cancelled', { cause: err })
        : err;
    log.line(`FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    for (const path of [buildDir, rootfs, workSeed, kernelDir])
      await rm(path, { recursive: true, force: true });
    throw failure;
  } finally {
    stopDownloads.abort();
    log.close();
  }
}

/** Installed packages according to the image's dpkg status file. */
async function countInstalled(root: string): Promise<number> {
  const status = await readFile(join(root, 'var/lib/dpkg/status'), 'utf8').catch(() => '');
  return status.split('\n').filter((l) => l === 'Status: install ok installed').length;
}

/** Disk space a (sparse) image file takes, in MB. */
async function allocatedMB(path: string): Promise<string> {
  return (((await stat(path)).blocks * 512) / 1e6).toFixed(0);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
