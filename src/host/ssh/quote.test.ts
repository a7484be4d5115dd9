import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './quote.js';

describe('shellQuote', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(shellQuote('make')).toBe('make');
    expect(shellQuote('/root/repo')).toBe('/root/repo');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("it's Bob's")).toBe("'it'\\''s Bob'\\''s'");
    expect(shellQuote("''")).toBe("''\\'''\\'''");
  });

  it('leaves every safe character alone and quotes each unsafe one', () => {
    const safe = 'AZaz09_@%+=:,./-';
    expect(shellQuote(safe)).toBe(safe);
    for (const c of ' \t\n!"#$&\'()*;<>?[\\]^`{|}~') expect(shellQuote(`a${c}b`)).not.toBe(`a${c}b`);
    // Anchored at both ends: a safe prefix or suffix does not make the word safe.
    expect(shellQuote('a;')).toBe("'a;'");
    expect(shellQuote(';a')).toBe("';a'");
  });

  it('round-trips awkward arguments through a real shell', () => {
    const args = [
      'a b',
      "it's",
      "it's Bob's",
      "'''",
      '"q"',
      '$HOME',
      'x;y',
      '`id`',
      '\\n',
      'line\nbreak',
      '',
      '*',
      '-e',
      'ünï',
    ];
    const script = `for a in ${shellJoin(args)}; do printf '%s\\0' "$a"; done`;
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });
});
