import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable, Writable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import type { BlobCache } from './blob-cache.js';
import { DigestVerifier } from './digest-stream.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Decides by magic bytes rather than media type: registries mislabel, bytes do not lie. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface OpenedLayer {
  /** The uncompressed tar. It fails at its end unless both the blob digest and the diff id match. */
  tar: Readable;
  compression: Compression;
  /** Removes scratch files (the zstd path decompresses to a file first). */
  cleanup(): Promise<void>;
}

/**
 * Opens a cached layer blob as an uncompressed tar stream. gzip is
 * decompressed in-process; zstd with the host's `zstd` through the runner
 * into `scratchDir` (Node 20 has no zstd), after checking the blob's digest,
 * because the runner does not stream; that file is cut one byte past
 * `maxBytes`, so a count of the stream (see PullBudget) stops a bomb.
 */
export async function openLayer(options: {
  cache: BlobCache;
  digest: string;
  diffId: string;
  runner: Runner;
  scratchDir: string;
  /** Uncompressed bytes the pull may still unpack; a zstd layer is decompressed to at most one byte more. */
  maxBytes: number;
}): Promise<OpenedLayer> {
  const { cache, digest, diffId } = options;
  const blob = cache.pathOf(digest);
  const compression = sniffCompression(await readHead(blob));
  const diffCheck = () =>
    new DigestVerifier(
      diffId,
      `layer ${digest}`,
      (actual) =>
        new AppError(
          'operation_failed',
          `layer ${digest} uncompresses to content hashing to ${actual}, but the image config says ${diffId}; the image is corrupt`,
          { details: { layer: digest, diffId, actual } },
        ),
    );
  const noop = () => {};
  if (compression === 'gzip') {
    const tar = pipeline(
      cache.openVerified(digest, `cached blob ${digest}`),
      createGunzip(),
      diffCheck(),
      noop,
    );
    return { tar, compression, cleanup: async () => {} };
  }
  if (compression === 'none') {
    const tar = pipeline(cache.openVerified(digest, `cached blob ${digest}`), diffCheck(), noop);
    return { tar, compression, cleanup: async () => {} };
  }
  await pipelineAsync(
    cache.openVerified(digest, `cached blob ${digest}`),
    new Writable({ write: (_chunk, _enc, done) => done() }),
  );
  const out = join(options.scratchDir, `${digest.slice(7)}.tar`);
  // The zstd tool has no output limit and a zstd bomb would fill the disk here, before the pull's
  // byte count sees it: head stops it one byte past what the pull may still unpack, and that byte
  // then trips the count downstream. zstd complains on stderr when head cuts it off.
  const limit = options.maxBytes + 1;
  const { stderr } = await options.runner.run([
    'sh',
    '-c',
    'zstd -dcq -- "$1" | head -c "$2" > "$3"',
    'sh',
    blob,
    String(limit),
    out,
  ]);
  if (stderr.trim() !== '' && (await stat(out)).size < limit) {
    await rm(out, { force: true });
    throw new AppError(
      'operation_failed',
      `zstd could not decompress layer ${digest}: ${stderr.trim().split('\n').at(-1)}; check that zstd is installed (sudo apt-get install zstd)`,
    );
  }
  const tar = pipeline(createReadStream(out, { highWaterMark: 1024 * 1024 }), diffCheck(), noop);
  return { tar, compression, cleanup: () => rm(out, { force: true }) };
}
