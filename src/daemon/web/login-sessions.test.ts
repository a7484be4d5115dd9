import { describe, expect, it } from 'vitest';
import { LoginSessions, MAX_LOGIN_SESSIONS } from './login-sessions.js';

describe('login sessions', () => {
  it('mints 43-character base64url secrets that verify; others do not', () => {
    const sessions = new LoginSessions();
    const a = sessions.mint();
    const b = sessions.mint();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(sessions.verify(a)).toBe(true);
    expect(sessions.verify(b)).toBe(true);
    for (const bad of ['', a.slice(1), `${a}x`, 'A'.repeat(43)]) expect(sessions.verify(bad)).toBe(false);
  });

  it(`keeps at most ${MAX_LOGIN_SESSIONS} sessions, dropping the oldest`, () => {
    const sessions = new LoginSessions();
    const first = sessions.mint();
    const second = sessions.mint();
    for (let i = 2; i < MAX_LOGIN_SESSIONS; i++) sessions.mint();
    expect(sessions.size).toBe(MAX_LOGIN_SESSIONS);
    expect(sessions.verify(first)).toBe(true);
    const newest = sessions.mint();
    expect(sessions.size).toBe(MAX_LOGIN_SESSIONS);
    expect(sessions.verify(first)).toBe(false);
    expect(sessions.verify(second)).toBe(true);
    expect(sessions.verify(newest)).toBe(true);
  });

  it('is per instance: a new daemon knows none of the old secrets', () => {
    const secret = new LoginSessions().mint();
    expect(new LoginSessions().verify(secret)).toBe(false);
  });
});
