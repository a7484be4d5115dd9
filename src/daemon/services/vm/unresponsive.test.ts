import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { watchUnresponsive } from './unresponsive.js';

const FAST = { silentMs: 60, pollMs: 5 };

/** Resolves when `signal` aborts, or with false after `ms`. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('watchUnresponsive', () => {
  it('aborts when the agent stops answering and the console stays still', async () => {
    let answering = true;
    const watch = watchUnresponsive({ agentAnswers: async () => answering, consoleMark: () => 'same' }, FAST);
    expect(await abortedWithin(watch.signal, 200)).toBe(false);
    answering = false;
    expect(await abortedWithin(watch.signal, 2000)).toBe(true);
    watch.stop();
  });

  it('counts a rejected ping as no answer', async () => {
    const watch = watchUnresponsive(
      { agentAnswers: () => Promise.reject(new Error('no agent')), consoleMark: () => '' },
      FAST,
    );
    expect(await abortedWithin(watch.signal, 2000)).toBe(true);
  });

  it('does not abort while the console keeps moving, even with the agent gone', async () => {
    let lines = 0;
    const watch = watchUnresponsive(
      { agentAnswers: async () => false, consoleMark: () => String(lines++) },
      FAST,
    );
    expect(await abortedWithin(watch.signal, 300)).toBe(false);
    watch.stop();
  });

  it('aborts once the console goes still too', async () => {
    let moving = true;
    let lines = 0;
    const watch = watchUnresponsive(
      { agentAnswers: async () => false, consoleMark: () => String(moving ? lines++ : lines) },
      FAST,
    );
    expect(await abortedWithin(watch.signal, 200)).toBe(false);
    moving = false;
    expect(await abortedWithin(watch.signal, 2000)).toBe(true);
  });

  it('never aborts after stop(), and asks nothing more', async () => {
    let asked = 0;
    const watch = watchUnresponsive(
      {
        agentAnswers: async () => {
          asked++;
          return false;
        },
        consoleMark: () => '',
      },
      { silentMs: 100, pollMs: 5 },
    );
    watch.stop();
    const after = asked;
    expect(await abortedWithin(watch.signal, 300)).toBe(false);
    await sleep(20);
    expect(asked).toBeLessThanOrEqual(after + 1);
  });
});
