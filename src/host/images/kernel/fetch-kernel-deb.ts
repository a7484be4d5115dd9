import type { Runner } from '../../runner.js';
import type { DebianKernelSource } from './catalog.js';
import { DebianArchive } from './debian-archive.js';
import { type DebPackage, resolveKernelPackage } from './packages-index.js';
import type { ProgressFn } from './progress.js';

export interface FetchedKernelDeb {
  /** Verified .deb in the download cache. */
  deb: string;
  package: DebPackage;
  url: string;
}

/**
 * Resolves a catalog source to its versioned linux-image package and
 * downloads the .deb, verified against the archive index (see DebianArchive).
 */
export async function fetchKernelDeb(opts: {
  runner: Runner;
  source: DebianKernelSource;
  /** Download cache, e.g. `~/.cache/banger/debian`. */
  cacheDir: string;
  /** Overrides the source's mirror (tests, local mirrors). */
  mirror?: string;
  /** Default: Debian's archive keyring; see DebianArchiveOptions. */
  keyring?: string;
  /** Skip the InRelease signature check (the user's explicit opt-in); see DebianArchiveOptions. */
  insecureSkipSignature?: boolean;
  fetchImpl?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}): Promise<FetchedKernelDeb> {
  const archive = new DebianArchive({
    runner: opts.runner,
    cacheDir: opts.cacheDir,
    mirror: opts.mirror ?? opts.source.mirror,
    suite: opts.source.suite,
    component: opts.source.component,
    arch: opts.source.arch,
    ...(opts.keyring === undefined ? {} : { keyring: opts.keyring }),
    ...(opts.insecureSkipSignature ? { insecureSkipSignature: true } : {}),
    ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const pkg = resolveKernelPackage(await archive.index(), opts.source.package);
  opts.onProgress?.({ stage: 'resolve', message: `${opts.source.package} → ${pkg.name} ${pkg.version}` });
  const deb = await archive.download(pkg);
  return { deb, package: pkg, url: `${archive.mirror}/${pkg.filename}` };
}
