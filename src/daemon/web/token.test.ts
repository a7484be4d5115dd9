import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/logger.js';
import { loadOrCreateWebToken } from './token.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'banger-token-')), 'web-token');
const mode = (p: string) => statSync(p).mode & 0o777;
const load = (file: string) => loadOrCreateWebToken(file, silentLogger());

describe('web token file', () => {
  it('creates a 0600 file with 32 random bytes (base64url)', () => {
    const file = fresh();
    const token = load(file);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(readFileSync(file, 'utf8')).toBe(`${token}\n`);
    expect(mode(file)).toBe(0o600);
    expect(load(fresh())).not.toBe(load(fresh()));
  });

  it('reuses the token on the next start', () => {
    const file = fresh();
    const token = load(file);
    expect(load(file)).toBe(token);
  });

  it('replaces a file others can read, one holding no token, and a symlink', () => {
    const readable = fresh();
    const old = load(readable);
    chmodSync(readable, 0o640);
    const replaced = load(readable);
    expect(replaced).not.toBe(old);
    expect(mode(readable)).toBe(0o600);

    const garbage = fresh();
    writeFileSync(garbage, 'not a token\n', { mode: 0o600 });
    expect(load(garbage)).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const target = fresh();
    writeFileSync(target, `${'a'.repeat(43)}\n`, { mode: 0o600 });
    const link = fresh();
    symlinkSync(target, link);
    const token = load(link);
    expect(token).not.toBe('a'.repeat(43));
    expect(statSync(link).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(`${'a'.repeat(43)}\n`); // the link's target is left alone
  });
});
