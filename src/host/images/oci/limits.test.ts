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

describe('PullBudget edges', () => {
  const NEXT =
    'the image was not pulled; use a smaller image (or tag), or build one with `banger image build`';

  it('refuses compressed layers above the limit before any download, naming both sizes', () => {
    const budget = new PullBudget({ maxBytes: 2048, maxEntries: 1 }, 'reg/img:1');
    expect(() => budget.checkCompressed(2048)).not.toThrow();
    let err: unknown;
    try {
      budget.checkCompressed(3072);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'invalid_argument',
      message: `reg/img:1 is too large: its layers are 3K compressed, more than 2K, banger's limit for one pull; ${NEXT}`,
      details: { limit: 'maxBytes', maxBytes: 2048 },
    });
    expect(budget.remainingBytes).toBe(2048);
  });

  it('counts bytes across calls, and never reports a negative remainder', () => {
    const budget = new PullBudget({ maxBytes: 10, maxEntries: 1 }, 'r');
    budget.addBytes(4);
    expect(budget.remainingBytes).toBe(6);
    budget.addBytes(6);
    expect(() => budget.addBytes(5)).toThrow(
      expect.objectContaining({ details: { limit: 'maxBytes', maxBytes: 10 } }),
    );
    expect(budget.remainingBytes).toBe(0);
  });

  it('allows exactly maxEntries entries and names the limit in the refusal', () => {
    const budget = new PullBudget({ maxBytes: 1, maxEntries: 2 }, 'r/e:1');
    budget.addEntry();
    budget.addEntry();
    expect(() => budget.addEntry()).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        message: `r/e:1 has too many files: its layers hold more than 2 entries, banger's limit for one pull; ${NEXT}`,
        details: { limit: 'maxEntries', maxEntries: 2 },
      }),
    );
  });

  it('passes bytes through unchanged up to the limit', async () => {
    const budget = new PullBudget({ maxBytes: 6, maxEntries: 1 }, 'r');
    const out: Buffer[] = [];
    const sink = new Writable({
      write: (c: Buffer, _e, done) => {
        out.push(c);
        done();
      },
    });
    await pipeline(Readable.from([Buffer.from('abc'), Buffer.from('def')]), budget.counter(), sink);
    expect(Buffer.concat(out).toString()).toBe('abcdef');
    expect(budget.remainingBytes).toBe(0);
  });
});
