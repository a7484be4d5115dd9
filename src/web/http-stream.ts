/**
 * A fetch body as an async iterable of chunks, for src/api/progress.ts's
 * line readers. Read through getReader() rather than `for await` on the
 * stream itself, which not every browser supports yet.
 */
export async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stops the download when the consumer leaves early (a page closed, a stream replaced).
    reader.cancel().catch(() => {});
  }
}
