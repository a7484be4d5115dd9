import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findCatalogKernel } from '../../src/host/images/kernel/catalog.js';
import { fetchKernelDeb } from '../../src/host/images/kernel/fetch-kernel-deb.js';
import { extractDeb, findKernelTree } from '../../src/host/images/kernel/kernel-tree.js';
import { extractVmlinux } from '../../src/host/images/kernel/vmlinux.js';
import { SpawnRunner } from '../../src/host/runner.js';

export interface TestKernel {
  /** Uncompressed ELF vmlinux (with the PVH note). */
  vmlinux: string;
  /** The kernel's /lib/modules/<version> tree. */
  modulesDir: string;
  version: string;
}

/** Bump when the cached layout changes, so old caches are ignored rather than misread. */
const LAYOUT = 'v1';
const CATALOG_NAME = 'debian-bookworm-cloud';

/** `~/.cache/banger-test/kernel`, shared by every test run on this machine. */
function testKernelCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'banger-test', 'kernel');
}

let inProcess: Promise<TestKernel> | undefined;

/**
 * Debian bookworm's cloud kernel, fetched once (verified against the
 * archive's signed index) and extracted to `~/.cache/banger-test/kernel/`.
 * Later calls and later runs reuse it without network access. Concurrent
 * callers, in this process or others, are safe: each builds in its own temp
 * dir and renames it into place; a loser of the race uses the winner's copy.
 */
export function testKernel(): Promise<TestKernel> {
  inProcess ??= loadOrBuild().catch((err: unknown) => {
    inProcess = undefined;
    throw err;
  });
  return inProcess;
}

async function loadOrBuild(): Promise<TestKernel> {
  const root = testKernelCacheRoot();
  const final = join(root, `${CATALOG_NAME}-${LAYOUT}`);
  const cached = await readCached(final);
  if (cached) return cached;

  await mkdir(root, { recursive: true });
  const tmp = join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const runner = new SpawnRunner();
  try {
    const fetched = await fetchKernelDeb({
      runner,
      source: findCatalogKernel(CATALOG_NAME).source,
      cacheDir: join(root, 'downloads'),
    });
    const unpacked = join(tmp, 'unpacked');
    const set = join(tmp, 'set');
    await mkdir(unpacked, { recursive: true });
    await mkdir(set);
    await extractDeb(runner, fetched.deb, unpacked);
    const tree = await findKernelTree(unpacked);
    await extractVmlinux({ runner, vmlinuz: tree.vmlinuz, dest: join(set, 'vmlinux'), requirePvh: true });
    await rename(tree.modulesDir, join(set, 'modules'));
    const manifest = {
      version: tree.version,
      package: fetched.package.name,
      debVersion: fetched.package.version,
    };
    await writeFile(join(set, 'fixture.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await rename(set, final);
    } catch (err) {
      // Another caller won the race; its copy is complete (renames are atomic).
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const built = await readCached(final);
  if (!built) throw new Error(`test kernel cache at ${final} is incomplete after building it`);
  return built;
}

interface FixtureManifest {
  version: string;
  package: string;
  debVersion: string;
  /** The verified .deb in the download cache. */
  deb: string;
}

async function readManifest(dir: string): Promise<FixtureManifest | undefined> {
  const text = await readFile(join(dir, 'fixture.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as FixtureManifest);
}

async function readCached(dir: string): Promise<TestKernel | undefined> {
  const manifest = await readManifest(dir);
  if (!manifest) return undefined;
  return { vmlinux: join(dir, 'vmlinux'), modulesDir: join(dir, 'modules'), version: manifest.version };
}

/**
 * The verified linux-image .deb the test kernel came from (for tests of
 * .deb handling and kernel-set building), fetched through testKernel().
 */
export async function testKernelDeb(): Promise<string> {
  await testKernel();
  const manifest = await readManifest(join(testKernelCacheRoot(), `${CATALOG_NAME}-${LAYOUT}`));
  if (manifest?.deb && (await stat(manifest.deb).catch(() => undefined))) return manifest.deb;
  const fetched = await fetchKernelDeb({
    runner: new SpawnRunner(),
    source: findCatalogKernel(CATALOG_NAME).source,
    cacheDir: join(testKernelCacheRoot(), 'downloads'),
  });
  return fetched.deb;
}
