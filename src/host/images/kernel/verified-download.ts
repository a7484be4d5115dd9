import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import type { ProgressFn } from './progress.js';

interface DownloadTarget {
  url: string;
  /** Expected size in bytes, when the source states it (Debian's index does). */
  size?: number;
  /** Final path. Only a fully downloaded, verified, fsynced file is ever renamed here. */
  dest: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Injected for tests; defaults to the global fetch (undici). */
  fetchImpl?: typeof fetch;
}

/**
 * The expected digest of the whole body: a hex sha256 (Debian's indexes) or
 * an npm-style Subresource Integrity string `sha512-<base64>` (the
 * registry's `dist.integrity`).
 */
export type VerifiedDownloadOptions = DownloadTarget &
  ({ sha256: string; integrity?: never } | { integrity: string; sha256?: never });

interface Digest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

function expectedDigest(opts: VerifiedDownloadOptions): Digest {
  if (opts.sha256 !== undefined) {
    const hex = opts.sha256.toLowerCase();
    if (/^[0-9a-f]{64}$/.test(hex)) return { algorithm: 'sha256', hex };
    throw new AppError('internal', `invalid sha256 ${JSON.stringify(opts.sha256)} for ${opts.url}`);
  }
  const sri = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(opts.integrity ?? '');
  if (sri?.[1]) return { algorithm: 'sha512', hex: Buffer.from(sri[1], 'base64').toString('hex') };
  throw new AppError('internal', `invalid integrity ${JSON.stringify(opts.integrity)} for ${opts.url}`);
}

const PROGRESS_STEP = 8 * 1024 * 1024;

/**
 * Downloads `url` to `dest`, verified against `sha256` or `integrity` (and `size`).
 *
 * Contract: the body is streamed into a temp file next to `dest`, hashed on
 * the way, fsynced, and renamed over `dest` only if the digest matches; the
 * directory is then fsynced. On any failure (HTTP error, wrong size or
 * digest, abort) the temp file is removed and nothing appears at `dest`. An
 * existing `dest` of the right size is trusted (it only got there verified)
 * and returned without a request.
 */
export async function verifiedDownload(opts: VerifiedDownloadOptions): Promise<string> {
  const expected = expectedDigest(opts);
  const existing = await stat(opts.dest).catch(() => undefined);
  if (existing?.isFile() && (opts.size === undefined || existing.size === opts.size)) return opts.dest;

  await mkdir(dirname(opts.dest), { recursive: true });
  const tmp = join(dirname(opts.dest), `.${basename(opts.dest)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await fetchToFile(opts, tmp, expected);
    await rename(tmp, opts.dest);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(opts.dest));
  return opts.dest;
}

async function fetchToFile(opts: VerifiedDownloadOptions, tmp: string, expected: Digest): Promise<void> {
  const doFetch = opts.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await doFetch(opts.url, { signal: opts.signal ?? null, redirect: 'follow' });
  } catch (err) {
    if (opts.signal?.aborted) throw new AppError('cancelled', `download of ${opts.url} was cancelled`);
    throw new AppError(
      'operation_failed',
      `could not fetch ${opts.url}: ${describe(err)}; check the network`,
      {
        cause: err,
      },
    );
  }
  if (!res.ok || !res.body) {
    throw new AppError(
      'operation_failed',
      `GET ${opts.url} returned HTTP ${res.status}; check the mirror URL`,
    );
  }
  const hash = createHash(expected.algorithm);
  const file = await open(tmp, 'wx', 0o644);
  let received = 0;
  let nextReport = PROGRESS_STEP;
  try {
    for await (const chunk of res.body) {
      const buf = chunk as Uint8Array;
      hash.update(buf);
      received += buf.byteLength;
      if (opts.size !== undefined && received > opts.size) break;
      await file.write(buf);
      if (received >= nextReport) {
        nextReport += PROGRESS_STEP;
        opts.onProgress?.({
          stage: 'download',
          message: `${formatMiB(received)} of ${formatTotal(opts.size)}`,
        });
      }
    }
    await file.sync();
  } catch (err) {
    if (opts.signal?.aborted) throw new AppError('cancelled', `download of ${opts.url} was cancelled`);
    throw new AppError('operation_failed', `download of ${opts.url} failed: ${describe(err)}`, {
      cause: err,
    });
  } finally {
    await file.close();
  }
  if (opts.size !== undefined && received !== opts.size) {
    throw new AppError(
      'operation_failed',
      `download of ${opts.url} has ${received} bytes, expected ${opts.size}; the mirror may be updating, retry later`,
    );
  }
  const actual = hash.digest('hex');
  if (actual !== expected.hex) {
    throw new AppError(
      'operation_failed',
      `${expected.algorithm} mismatch for ${opts.url}: got ${actual}, expected ${expected.hex}; the file was discarded (retry, or use another mirror)`,
    );
  }
}

/** fsync a directory so a rename into it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function formatTotal(size: number | undefined): string {
  return size === undefined ? '?' : formatMiB(size);
}
