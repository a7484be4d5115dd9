import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { AppError } from '../../../domain/errors.js';
import { DigestVerifier } from './digest-stream.js';

export interface Download {
  body: Readable;
}

/**
 * Content-addressed blob store at `<cacheDir>/oci/blobs/sha256/<hex>`.
 *
 * Contract:
 * - A blob only ever appears under its final name after it was fully
 *   received, its sha256 matched, and it was fsynced (temp file in
 *   `<cacheDir>/oci/tmp`, then rename on the same filesystem, then the
 *   directory fsynced). A failed or corrupt download leaves nothing cached.
 * - A cached blob is trusted by name (and size) to skip the download, but is
 *   never trusted for content: every reader goes through `openVerified`,
 *   which hashes while streaming, so a blob corrupted on disk fails the
 *   read that consumes it; the caller then `evict`s it. This costs nothing
 *   extra because layers are read exactly once per pull anyway.
 */
export class BlobCache {
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(cacheDir: string) {
    this.blobsDir = join(cacheDir, 'oci', 'blobs', 'sha256');
    this.tmpDir = join(cacheDir, 'oci', 'tmp');
  }

  pathOf(digest: string): string {
    const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
    if (!hex) throw new AppError('invalid_argument', `not a sha256 digest: ${digest}`);
    return join(this.blobsDir, hex);
  }

  /** True when a regular file of the expected size is cached under this digest. */
  async has(digest: string, size: number): Promise<boolean> {
    try {
      const st = await lstat(this.pathOf(digest));
      return st.isFile() && st.size === size;
    } catch {
      return false;
    }
  }

  /**
   * Returns the cached blob's path, downloading it first when absent.
   * `onBytes` reports download progress (bytes received so far).
   */
  async ensure(
    digest: string,
    size: number,
    download: () => Promise<Download>,
    onBytes?: (received: number) => void,
  ): Promise<{ path: string; downloaded: boolean }> {
    const path = this.pathOf(digest);
    if (await this.has(digest, size)) return { path, downloaded: false };
    await mkdir(this.blobsDir, { recursive: true, mode: 0o700 });
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(this.tmpDir, `${digest.slice(7)}.${randomUUID()}.partial`);
    const file = await open(tmp, 'wx', 0o600);
    let ok = false;
    try {
      const { body } = await download();
      const hash = createHash('sha256');
      let received = 0;
      // Leaving this loop by throwing destroys the response body.
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        received += buf.length;
        if (received > size) {
          throw new AppError(
            'operation_failed',
            `blob ${digest} is longer than the ${size} bytes its descriptor declares; nothing was cached. The registry is serving bad data.`,
          );
        }
        hash.update(buf);
        await file.write(buf);
        onBytes?.(received);
      }
      if (received !== size) {
        throw new AppError(
          'operation_failed',
          `blob ${digest} ended after ${received} of ${size} bytes; nothing was cached. Retry the pull.`,
        );
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) {
        throw new AppError(
          'operation_failed',
          `blob ${digest} from the registry is corrupt (its content hashes to ${actual}); nothing was cached. Retry the pull; if it keeps failing the registry is serving bad data.`,
          { details: { digest, actual } },
        );
      }
      await file.sync();
      await file.close();
      await rename(tmp, path);
      await syncDir(this.blobsDir);
      ok = true;
      return { path, downloaded: true };
    } catch (err) {
      throw asDownloadError(digest, err);
    } finally {
      if (!ok) {
        await file.close().catch(() => {});
        await rm(tmp, { force: true });
      }
    }
  }

  /** A stream of the cached blob that fails at its end unless the content matches `digest`. */
  openVerified(digest: string, what: string): Readable {
    const file = createReadStream(this.pathOf(digest), { highWaterMark: 1024 * 1024 });
    // pipeline destroys the file stream when the consumer stops early; errors surface on the verifier.
    return pipeline(file, new DigestVerifier(digest, what), () => {});
  }

  /** Hashes the cached blob; throws DigestMismatchError when it does not match its name. */
  async verify(digest: string): Promise<void> {
    for await (const _chunk of this.openVerified(digest, `cached blob ${digest}`)) {
      // draining is the point: the verifier fails at the end on a mismatch
    }
  }

  /** Removes a blob (e.g. one found corrupt on disk). Idempotent. */
  async evict(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  /** Removes temp files of downloads that were interrupted (e.g. the daemon was killed). */
  async cleanTemp(olderThanMs = 0): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch {
      return;
    }
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      const st = await lstat(path).catch(() => undefined);
      if (st && st.mtimeMs <= cutoff) await rm(path, { force: true, recursive: true });
    }
  }
}

/** A failure while receiving a blob's body (connection reset, timeout, cancel) as an AppError. */
function asDownloadError(digest: string, err: unknown): unknown {
  if (err instanceof AppError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') {
    return new AppError('cancelled', `downloading blob ${digest} was cancelled; nothing was cached`, {
      cause: err,
    });
  }
  return new AppError(
    'operation_failed',
    `downloading blob ${digest} failed (${e.code ?? e.message ?? String(err)}); nothing was cached. Retry the pull.`,
    { cause: err },
  );
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
