import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PULL_LIMITS, PullBudget } from './limits.js';

describe('PullBudget', () => {
  it('defaults to 32 GiB and two million entries', () => {
    expect(DEFAULT_PULL_LIMITS).toEqual({ maxBytes: 32 * 1024 ** 3, maxEntries: 2_000_000 });
  });

  it('allows exactly the limit and refuses one more, naming it', () => {
    const budget = new PullBudget({ maxBytes: 10, maxEntries: 2_000_000 }, 'r/x:1');
    budget.addBytes(10);
    expect(budget.remainingBytes).toBe(0);
    expect(() => budget.addBytes(1)).toThrow(/^r\/x:1 is too large: its layers uncompress to more than 10B/);
    for (let i = 0; i < 2_000_000; i++) budget.addEntry();
    expect(() => budget.addEntry()).toThrow(/more than 2,000,000 entries, banger's limit for one pull/);
  });

  it('fails a stream once it passes the limit', async () => {
    const budget = new PullBudget({ maxBytes: 5, maxEntries: 1 }, 'r/x:1');
    const sink = new Writable({ write: (_c, _e, done) => done() });
    await expect(
      pipeline(Readable.from([Buffer.alloc(3), Buffer.alloc(3)]), budget.counter(), sink),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/more than 5B/) });
  });
});
