import { open } from 'node:fs/promises';

export interface FollowOptions {
  /** Start this many bytes before the end (default: from the beginning). */
  tailBytes?: number;
  /** Keep reading as the file grows until `until` says stop or the signal aborts. */
  follow?: boolean;
  /** Polled while following; when it returns false the stream ends after a last read. */
  until?: () => boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Yields a file's bytes, optionally following it like `tail -f`. A file that
 * shrinks (the console log cap keeps only its tail) is read again from its
 * new start. A missing file yields nothing.
 */
export async function* readFileChunks(path: string, o: FollowOptions = {}): AsyncGenerator<Buffer> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return;
  try {
    const { size } = await file.stat();
    let offset = o.tailBytes === undefined ? 0 : Math.max(0, size - o.tailBytes);
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        yield Buffer.from(buffer.subarray(0, bytesRead));
        continue;
      }
      if (!o.follow || o.signal?.aborted || (o.until && !o.until())) return;
      await new Promise((r) => setTimeout(r, o.pollMs ?? 300));
      const now = (await file.stat()).size;
      if (now < offset) offset = 0;
    }
  } finally {
    await file.close();
  }
}
