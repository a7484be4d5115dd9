/**
 * Resolves when `exited` settles, `giveUp` aborts or `ms` pass, whichever
 * comes first; neither the timer nor the abort listener outlives it.
 */
function pause(exited: Promise<unknown> | undefined, ms: number, giveUp?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      giveUp?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    giveUp?.addEventListener('abort', done, { once: true });
    void exited?.then(done, done);
  });
}

/**
 * True once `alive()` is false, false if it still holds after `ms`.
 *
 * With `exited` (the process is this daemon's child, whose exit is an event)
 * it sleeps until that event or the deadline and then checks once more, so a
 * running VM costs nothing while it is waited on; without it (a process
 * adopted from an earlier daemon) it checks every `pollMs`. Should the
 * process still look alive after the event, it falls back to polling.
 * When `giveUp` aborts the wait ends there, false unless the process is gone.
 */
export async function waitGone(
  alive: () => boolean,
  ms: number,
  pollMs: number,
  exited?: Promise<unknown>,
  giveUp?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  let exitSeen = false;
  void exited?.then(
    () => {
      exitSeen = true;
    },
    () => {
      exitSeen = true;
    },
  );
  while (alive()) {
    const left = deadline - Date.now();
    if (left <= 0 || giveUp?.aborted) return false;
    // A child's exit is an event: sleep until it (or the deadline); otherwise poll.
    const event = exitSeen ? undefined : exited;
    await pause(event, event ? left : Math.min(left, pollMs), giveUp);
  }
  return true;
}
