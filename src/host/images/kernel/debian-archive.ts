import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { type DebPackage, parsePackagesIndex } from './packages-index.js';
import type { ProgressFn } from './progress.js';
import { clearsignedBody, parseReleaseSha256, releaseField } from './release-file.js';
import { verifiedDownload } from './verified-download.js';

export const DEFAULT_DEBIAN_MIRROR = 'https://deb.debian.org/debian';
export const DEBIAN_ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface DebianArchiveOptions {
  runner: Runner;
  /** Downloads are cached here: `by-hash/<sha256>` for indexes, `pool/<sha256>.deb` for packages. */
  cacheDir: string;
  mirror?: string;
  suite?: string;
  component?: string;
  arch?: string;
  /**
   * Keyring used with `gpgv` to check `InRelease`. Default: Debian's archive
   * keyring (package debian-archive-keyring). When it is missing the pull is
   * refused (host_unsupported) unless `insecureSkipSignature` is set.
   */
  keyring?: string;
  /**
   * Do not check the `InRelease` signature at all: the user's explicit
   * opt-in (config `insecure_skip_kernel_signature`) for hosts without the
   * keyring, and tests with a local unsigned mirror. Then only the transport
   * vouches for the index; the per-file sha256 chain still catches
   * corruption, not forgery.
   */
  insecureSkipSignature?: boolean;
  fetchImpl?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/**
 * A client for one suite/component/arch of a Debian archive.
 *
 * Trust chain: InRelease (gpgv-checked; refused without the keyring unless
 * the user opted out of the check) gives
 * the sha256 of the Packages index, which is fetched by hash and verified;
 * the index gives the sha256 of each .deb, which is verified before it is
 * cached. Nothing unverified is ever renamed into the cache.
 */
export class DebianArchive {
  readonly mirror: string;
  readonly suite: string;
  readonly component: string;
  readonly arch: string;
  private indexCache: Map<string, DebPackage> | undefined;

  constructor(private readonly opts: DebianArchiveOptions) {
    this.mirror = (opts.mirror ?? DEFAULT_DEBIAN_MIRROR).replace(/\/+$/, '');
    this.suite = opts.suite ?? 'bookworm';
    this.component = opts.component ?? 'main';
    this.arch = opts.arch ?? 'amd64';
  }

  /** The parsed Packages index of this suite (fetched once per instance). */
  async index(): Promise<Map<string, DebPackage>> {
    if (this.indexCache) return this.indexCache;
    const release = await this.release();
    const dir = `${this.component}/binary-${this.arch}`;
    const xz = release.entries.get(`${dir}/Packages.xz`);
    if (!xz)
      throw new AppError(
        'not_found',
        `${this.suite}/InRelease lists no ${dir}/Packages.xz; check the suite name`,
      );
    const url = release.byHash
      ? `${this.mirror}/dists/${this.suite}/${dir}/by-hash/SHA256/${xz.sha256}`
      : `${this.mirror}/dists/${this.suite}/${dir}/Packages.xz`;
    this.progress('index', `fetching ${this.suite} ${dir} package index (${(xz.size / 1e6).toFixed(1)} MB)`);
    const file = await verifiedDownload({
      url,
      sha256: xz.sha256,
      size: xz.size,
      dest: join(this.opts.cacheDir, 'by-hash', `${xz.sha256}.xz`),
      ...this.downloadCommon(),
    });
    const { stdout } = await this.opts.runner.run(['xz', '-dc', '--', file], { timeoutMs: 120_000 });
    this.indexCache = parsePackagesIndex(stdout);
    return this.indexCache;
  }

  /** Downloads `pkg` (verified against the index's sha256) into the cache and returns its path. */
  async download(pkg: DebPackage): Promise<string> {
    this.progress('download', `downloading ${pkg.name} ${pkg.version} (${(pkg.size / 1e6).toFixed(1)} MB)`);
    return verifiedDownload({
      url: `${this.mirror}/${pkg.filename}`,
      sha256: pkg.sha256,
      size: pkg.size,
      dest: join(this.opts.cacheDir, 'pool', `${pkg.sha256}.deb`),
      ...this.downloadCommon(),
    });
  }

  private async release(): Promise<{
    entries: Map<string, { sha256: string; size: number }>;
    byHash: boolean;
  }> {
    const url = `${this.mirror}/dists/${this.suite}/InRelease`;
    const keyring = this.keyringOrRefuse(url);
    this.progress('index', `fetching ${url}`);
    const doFetch = this.opts.fetchImpl ?? fetch;
    let text: string;
    try {
      const res = await doFetch(url, { signal: this.opts.signal ?? null });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      text = await res.text();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new AppError('operation_failed', `could not fetch ${url}: ${why}; check the network and mirror`, {
        cause: err,
      });
    }
    const body = await this.checkSignature(text, keyring);
    return { entries: parseReleaseSha256(body), byHash: releaseField(body, 'Acquire-By-Hash') === 'yes' };
  }

  /**
   * The keyring to check `url` with, or null when the user opted out of the
   * check. Refuses before anything is fetched when the keyring is missing:
   * an unverifiable index must not be trusted just because a package is
   * not installed.
   */
  private keyringOrRefuse(url: string): string | null {
    if (this.opts.insecureSkipSignature) return null;
    const keyring = this.opts.keyring ?? DEBIAN_ARCHIVE_KEYRING;
    if (existsSync(keyring)) return keyring;
    throw new AppError(
      'host_unsupported',
      `cannot verify the signature of ${url}: the keyring ${keyring} is missing. Install it (sudo apt-get install debian-archive-keyring) and pull again; to pull without the signature check, trusting HTTPS alone, set insecure_skip_kernel_signature = true in config.toml`,
      { details: { keyring } },
    );
  }

  /** Returns the signed body; with a keyring, only what gpgv vouches for. */
  private async checkSignature(text: string, keyring: string | null): Promise<string> {
    if (keyring === null) {
      this.progress(
        'index',
        'InRelease signature NOT checked (insecure_skip_kernel_signature); trusting HTTPS and sha256 only',
      );
      return clearsignedBody(text);
    }
    const dir = await mkdtemp(join(tmpdir(), 'banger-inrelease-'));
    try {
      await writeFile(join(dir, 'InRelease'), text);
      const result = await this.opts.runner.run(
        ['gpgv', '--keyring', keyring, '--output', join(dir, 'Release'), join(dir, 'InRelease')],
        { check: false, timeoutMs: 60_000 },
      );
      if (result.exitCode !== 0) {
        throw new AppError(
          'operation_failed',
          `InRelease from ${this.mirror} failed signature verification with ${keyring}: ${result.stderr.trim().split('\n').at(-1) ?? ''}; check the mirror or update debian-archive-keyring`,
        );
      }
      return await readFile(join(dir, 'Release'), 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private downloadCommon(): { signal?: AbortSignal; onProgress?: ProgressFn; fetchImpl?: typeof fetch } {
    return {
      ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      ...(this.opts.onProgress ? { onProgress: this.opts.onProgress } : {}),
      ...(this.opts.fetchImpl ? { fetchImpl: this.opts.fetchImpl } : {}),
    };
  }

  private progress(stage: string, message: string): void {
    this.opts.onProgress?.({ stage, message });
  }
}
