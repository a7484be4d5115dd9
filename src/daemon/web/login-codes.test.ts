import { describe, expect, it } from 'vitest';
import { LOGIN_CODE_TTL_MS, LoginCodes } from './login-codes.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  const c = { now: start, read: () => c.now };
  return c;
}

describe('LoginCodes', () => {
  it('mints distinct 32-byte base64url codes that work exactly once', () => {
    const codes = new LoginCodes();
    const a = codes.mint();
    const b = codes.mint();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(codes.redeem(a)).toBe(true);
    expect(codes.redeem(a)).toBe(false);
    expect(codes.redeem(b)).toBe(true);
  });

  it('refuses codes it never minted: other strings, prefixes, empty', () => {
    const codes = new LoginCodes();
    const code = codes.mint();
    for (const guess of ['', 'x', code.slice(0, 42), `${code}A`, code.toUpperCase()]) {
      if (guess !== code) expect(codes.redeem(guess), guess).toBe(false);
    }
    expect(codes.redeem(code)).toBe(true);
  });

  it('expires a code 2 minutes after it was minted', () => {
    expect(LOGIN_CODE_TTL_MS).toBe(120_000);
    const c = clock();
    const codes = new LoginCodes({ now: c.read });
    const late = codes.mint();
    const inTime = codes.mint();
    c.now += LOGIN_CODE_TTL_MS - 1;
    expect(codes.redeem(inTime)).toBe(true);
    c.now += 1;
    expect(codes.redeem(late)).toBe(false);
  });

  it('takes its lifetime from the options', () => {
    const c = clock();
    const codes = new LoginCodes({ now: c.read, ttlMs: 10 });
    const code = codes.mint();
    c.now += 10;
    expect(codes.redeem(code)).toBe(false);
  });

  it('keeps at most 16 codes: a 17th drops the oldest', () => {
    const codes = new LoginCodes();
    const minted = Array.from({ length: 17 }, () => codes.mint());
    expect(codes.redeem(minted[0]!)).toBe(false);
    for (const code of minted.slice(1)) expect(codes.redeem(code)).toBe(true);
  });
});
