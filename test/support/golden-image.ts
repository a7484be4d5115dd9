import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { mmdebstrapArgv } from '../../src/host/images/golden/bootstrap.js';
import {
  buildGoldenImage,
  DEFAULT_GOLDEN_SIZE_BYTES,
  defaultPackagesFile,
  GOLDEN_BUILDER_VERSION,
  type GoldenBuildResult,
} from '../../src/host/images/golden/build-golden.js';
import { MISE_INTEGRITY } from '../../src/host/images/golden/mise.js';
import { agentBinaryPath } from '../../src/host/images/initramfs/agent-binary.js';
import { BOOT_MODULES } from '../../src/host/images/initramfs/build-initramfs.js';
import { INIT_SCRIPT } from '../../src/host/images/initramfs/init-script.js';
import { SpawnRunner } from '../../src/host/runner.js';

/** What the cache keeps next to the image: the build result plus how long the build took. */
export interface CachedGoldenImage extends GoldenBuildResult {
  /** `<cache>/build.log`, the full build log. */
  logFile: string;
  /** Wall time of the build that produced this cache entry. */
  buildMs: number;
  /** true when this call built the image, false when it came from the cache. */
  builtNow: boolean;
}

/** `~/.cache/banger-test/golden`, shared by every test run on this machine. */
function goldenCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'banger-test', 'golden');
}

/**
 * The cache key: the package list, the builder version, the exact
 * mmdebstrap command line (which embeds the guest configuration hook), the
 * mise tarball's pinned integrity (mise is added outside mmdebstrap) and
 * banger's initramfs `/init`, module list and guest agent binary (the
 * image's kernel/ carries an initramfs built with them), so any change to what the image would
 * contain builds a new one.
 */
async function cacheKey(packagesFile: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`builder ${GOLDEN_BUILDER_VERSION}\n`);
  hash.update(await readFile(packagesFile));
  hash.update(`mise ${MISE_INTEGRITY}\n`);
  hash.update(mmdebstrapArgv({ mode: 'root', packages: [], tarPath: '' }).join('\0'));
  hash.update(INIT_SCRIPT);
  hash.update(JSON.stringify(BOOT_MODULES));
  hash.update(await readFile(agentBinaryPath()));
  return hash.digest('hex').slice(0, 16);
}

let inProcess: Promise<CachedGoldenImage> | undefined;

/**
 * banger's golden image built from the repository's package list, once per
 * machine: cached under `~/.cache/banger-test/golden/<key>/` (rootfs.ext4,
 * work-seed.ext4, kernel/, result.json, build.log). A fresh machine (CI)
 * builds it on first use, in a temp dir renamed into place, so an
 * interrupted build never leaves a cache entry that looks complete.
 * Treat the files as read-only: copy an image before writing to it.
 */
export function goldenImage(): Promise<CachedGoldenImage> {
  inProcess ??= loadOrBuild().catch((err: unknown) => {
    inProcess = undefined;
    throw err;
  });
  return inProcess;
}

async function loadOrBuild(): Promise<CachedGoldenImage> {
  const packagesFile = defaultPackagesFile();
  const root = goldenCacheRoot();
  const final = join(root, await cacheKey(packagesFile));
  const cached = await readCached(final);
  if (cached) return cached;

  await mkdir(root, { recursive: true, mode: 0o700 });
  const tmp = join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const dest = join(tmp, 'image');
  await mkdir(dest, { recursive: true, mode: 0o700 });
  try {
    const started = Date.now();
    const result = await buildGoldenImage({
      runner: new SpawnRunner(),
      packagesFile,
      sizeBytes: DEFAULT_GOLDEN_SIZE_BYTES,
      dest,
      logFile: join(dest, '.build.log'),
      onProgress: (e) => {
        if (process.env.BANGER_TEST_VERBOSE) console.log(`[golden] ${e.stage}: ${e.message}`);
      },
    });
    await rename(join(dest, '.build.log'), join(dest, 'build.log'));
    const record = { ...result, buildMs: Date.now() - started };
    await writeFile(join(dest, 'result.json'), `${JSON.stringify(record, null, 2)}\n`);
    try {
      await rename(dest, final);
    } catch (err) {
      // Another process won the race; its copy is complete (renames are atomic).
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const built = await readCached(final);
  if (!built) throw new Error(`golden image cache at ${final} is incomplete after building it`);
  return { ...built, builtNow: true };
}

async function readCached(dir: string): Promise<CachedGoldenImage | undefined> {
  const text = await readFile(join(dir, 'result.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const saved = JSON.parse(text) as GoldenBuildResult & { buildMs: number };
  return {
    ...saved,
    rootfs: join(dir, 'rootfs.ext4'),
    workSeed: join(dir, 'work-seed.ext4'),
    kernelDir: join(dir, 'kernel'),
    logFile: join(dir, 'build.log'),
    builtNow: false,
  };
}
