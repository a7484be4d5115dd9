import type { Runner } from '../../runner.js';
import { findCatalogKernel } from './catalog.js';
import { fetchKernelDeb } from './fetch-kernel-deb.js';
import { buildKernelSet } from './kernel-set.js';
import type { KernelManifest } from './manifest.js';
import type { ProgressFn } from './progress.js';

/**
 * `banger kernel pull NAME`: fetches the catalog entry's package (verified
 * through the archive index) into `cacheDir` and builds the kernel set at
 * `dest` (atomically; see buildKernelSet).
 */
export async function pullCatalogKernel(opts: {
  runner: Runner;
  name: string;
  cacheDir: string;
  dest: string;
  mirror?: string;
  /** Default: Debian's archive keyring; see DebianArchiveOptions. */
  keyring?: string;
  /** Skip the InRelease signature check (the user's explicit opt-in); see DebianArchiveOptions. */
  insecureSkipSignature?: boolean;
  busyboxPath?: string;
  fetchImpl?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}): Promise<KernelManifest> {
  const entry = findCatalogKernel(opts.name);
  const fetched = await fetchKernelDeb({
    runner: opts.runner,
    source: entry.source,
    cacheDir: opts.cacheDir,
    ...(opts.mirror ? { mirror: opts.mirror } : {}),
    ...(opts.keyring === undefined ? {} : { keyring: opts.keyring }),
    ...(opts.insecureSkipSignature ? { insecureSkipSignature: true } : {}),
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  return buildKernelSet({
    runner: opts.runner,
    dest: opts.dest,
    input: {
      kind: 'deb',
      deb: fetched.deb,
      origin: {
        catalog: entry.name,
        package: fetched.package.name,
        packageVersion: fetched.package.version,
        url: fetched.url,
        debSha256: fetched.package.sha256,
      },
    },
    ...(opts.busyboxPath ? { busyboxPath: opts.busyboxPath } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}
