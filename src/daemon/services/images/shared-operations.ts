import { AppError } from '../../../domain/errors.js';

export interface OperationProgress {
  stage: string;
  message: string;
  current?: number;
  total?: number;
}

type Listener = (event: OperationProgress) => void;

/** What an operation makes (`key`) and how, for messages: `{ key: 'image:x', what: 'image x is being built' }`. */
export interface OperationId {
  key: string;
  what: string;
}

interface Running {
  what: string;
  promise: Promise<unknown>;
  listeners: Set<Listener>;
  aborter: AbortController;
}

/**
 * Single-flight for long operations keyed by what they create (`image:NAME`,
 * `kernel:NAME`): a second caller for the same key joins the running
 * operation instead of starting another. Every caller gets every progress
 * event from the moment it joined, and the same result or error.
 *
 * A caller asking for the same key but another operation (a pull of a name
 * being built) gets AppError('conflict') instead of someone else's result.
 *
 * Cancellation: a caller whose signal aborts leaves at once (its promise
 * rejects with AppError('cancelled')); the operation itself is aborted only
 * when its last caller has left, or by `abortAll` (daemon shutdown).
 */
export class SharedOperations {
  private readonly running = new Map<string, Running>();

  /** Whether an operation for `key` is in flight. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  run<T>(
    id: OperationId,
    onProgress: Listener,
    start: (emit: Listener, signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) return Promise.reject(cancelled());
    const { key, what } = id;
    let op = this.running.get(key);
    if (op && op.what !== what) {
      return Promise.reject(new AppError('conflict', `${op.what} right now; try again when that finishes`));
    }
    if (!op) {
      const aborter = new AbortController();
      const listeners = new Set<Listener>();
      const emit: Listener = (event) => {
        for (const l of listeners) l(event);
      };
      const created: Running = {
        what,
        listeners,
        aborter,
        promise: Promise.resolve()
          .then(() => start(emit, aborter.signal))
          .finally(() => this.running.delete(key)),
      };
      this.running.set(key, created);
      op = created;
    }
    const current = op;
    current.listeners.add(onProgress);
    const result = current.promise as Promise<T>;
    if (!signal) return result.finally(() => current.listeners.delete(onProgress));
    return new Promise<T>((resolve, reject) => {
      const leave = () => {
        current.listeners.delete(onProgress);
        if (current.listeners.size === 0) current.aborter.abort();
        reject(cancelled());
      };
      signal.addEventListener('abort', leave, { once: true });
      result.then(
        (value) => {
          signal.removeEventListener('abort', leave);
          current.listeners.delete(onProgress);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', leave);
          current.listeners.delete(onProgress);
          reject(err);
        },
      );
    });
  }

  /** Aborts every running operation and waits for them to settle. */
  async abortAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const op of all) op.aborter.abort();
    await Promise.allSettled(all.map((op) => op.promise));
  }
}

function cancelled(): AppError {
  return new AppError('cancelled', 'cancelled; nothing was kept, run the command again to retry');
}
