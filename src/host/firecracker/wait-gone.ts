import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves when `exited` settles or after `ms`, whichever comes first; the timer does not outlive it. */
function exitOrTimeout(exited: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void exited.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
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
 */
export async function waitGone(
  alive: () => boolean,
  ms: number,
  pollMs: number,
  exited?: Promise<unknown>,
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
    if (left <= 0) return false;
    if (exited && !exitSeen) await exitOrTimeout(exited, left);
    else await sleep(Math.min(left, pollMs));
  }
  return true;
}
