import type { BlobCache } from './blob-cache.js';
import type { PullProgress } from './pull.js';
import type { RegistryClient } from './registry-client.js';
import type { Descriptor } from './schemas.js';

export interface LayerDownloads {
  /** One promise per layer, in manifest order, resolving when that blob is cached and verified. */
  ready: Promise<void>[];
  /** Stops starting new downloads, aborts running ones, and resolves once none is running. */
  stop(): Promise<void>;
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Fetches the layers not yet cached, `concurrency` at a time, in manifest
 * order so that the oldest layer — the first one extracted — arrives first.
 * Rejections are also observed here so an unawaited later layer never
 * becomes an unhandled rejection.
 */
export function downloadLayers(options: {
  client: RegistryClient;
  cache: BlobCache;
  layers: readonly Descriptor[];
  concurrency: number;
  progress: (event: PullProgress) => void;
}): LayerDownloads {
  const { client, cache, layers, progress } = options;
  const abort = new AbortController();
  const received = new Map<string, number>();
  const total = layers.reduce((sum, l) => sum + l.size, 0);
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastReport < PROGRESS_INTERVAL_MS) return;
    lastReport = now;
    const current = [...received.values()].reduce((a, b) => a + b, 0);
    progress({ stage: 'download', message: `downloading ${layers.length} layers`, current, total });
  };

  const fetchOne = async (layer: Descriptor): Promise<void> => {
    if (abort.signal.aborted) throw abort.signal.reason;
    const { downloaded } = await cache.ensure(
      layer.digest,
      layer.size,
      () => client.getBlob(layer.digest, abort.signal),
      (bytes) => {
        received.set(layer.digest, bytes);
        report(false);
      },
    );
    received.set(layer.digest, layer.size);
    report(downloaded);
  };

  // Workers take layers in manifest order, so the oldest layer (extracted first) starts first.
  const settle = layers.map(() => deferred());
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < layers.length; i = next++) {
      const layer = layers[i];
      const slot = settle[i];
      if (!layer || !slot) continue;
      await fetchOne(layer).then(slot.resolve, slot.reject);
    }
  };
  const ready = settle.map((d) => d.promise);
  for (const p of ready) p.catch(() => {});
  const workers = Array.from({ length: Math.max(1, options.concurrency) }, worker);

  return {
    ready,
    stop: async () => {
      abort.abort(new Error('pull stopped'));
      await Promise.allSettled(workers);
    },
  };
}

/** Promise.withResolvers is Node 22+. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve: () => void = () => {};
  let reject: (err: unknown) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
