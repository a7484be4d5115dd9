import { describe, expect, it } from 'vitest';
import { waitGone } from './wait-gone.js';

/** An alive() that counts its calls and answers from `answers` (the last one repeats). */
function probe(answers: boolean[] | (() => boolean)) {
  const p = {
    calls: 0,
    alive: () => {
      p.calls++;
      if (typeof answers === 'function') return answers();
      return answers[Math.min(p.calls - 1, answers.length - 1)] ?? false;
    },
  };
  return p;
}

describe('waitGone', () => {
  it('is true at once for a process already gone', async () => {
    const p = probe([false]);
    expect(await waitGone(p.alive, 0, 10)).toBe(true);
    expect(p.calls).toBe(1);
  });

  it('polls every pollMs a process it has no exit event for', async () => {
    const p = probe([true, true, true, false]);
    expect(await waitGone(p.alive, 5000, 10)).toBe(true);
    expect(p.calls).toBe(4);
  });

  it('does not poll a child while waiting for its exit event: one check before, one at the deadline', async () => {
    const p = probe([true]);
    const started = performance.now();
    expect(await waitGone(p.alive, 200, 10, new Promise(() => {}))).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(p.calls).toBe(2);
  });

  it("checks again as soon as the child's exit event comes", async () => {
    let exitedNow = false;
    const exited = new Promise<void>((resolve) =>
      setTimeout(() => {
        exitedNow = true;
        resolve();
      }, 30),
    );
    const p = probe(() => !exitedNow);
    const started = performance.now();
    expect(await waitGone(p.alive, 10_000, 10, exited)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(p.calls).toBe(2);
  });

  it('falls back to polling, not spinning, when the process still looks alive after its exit event', async () => {
    const p = probe([true]);
    expect(await waitGone(p.alive, 100, 10, Promise.resolve())).toBe(false);
    expect(p.calls).toBeGreaterThan(2);
    expect(p.calls).toBeLessThan(30);
  });

  it('treats a rejected exit promise like an exit', async () => {
    const p = probe([true, false]);
    expect(await waitGone(p.alive, 10_000, 10, Promise.reject(new Error('x')))).toBe(true);
  });

  it('ends the wait for an exit event when giveUp aborts, false while the process is there', async () => {
    const p = probe([true]);
    const giveUp = new AbortController();
    setTimeout(() => giveUp.abort(), 30);
    const started = performance.now();
    expect(await waitGone(p.alive, 60_000, 10, new Promise(() => {}), giveUp.signal)).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('ends a polling wait when giveUp aborts; an already aborted signal checks once', async () => {
    const p = probe([true]);
    const giveUp = new AbortController();
    setTimeout(() => giveUp.abort(), 30);
    expect(await waitGone(p.alive, 60_000, 10, undefined, giveUp.signal)).toBe(false);
    const q = probe([true]);
    expect(await waitGone(q.alive, 60_000, 10, undefined, AbortSignal.abort())).toBe(false);
    expect(q.calls).toBe(1);
  });

  it('is still true for a process gone when giveUp has aborted', async () => {
    const p = probe([false]);
    expect(await waitGone(p.alive, 60_000, 10, undefined, AbortSignal.abort())).toBe(true);
  });
});
