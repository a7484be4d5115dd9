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
  });

  it('round-trips awkward arguments through a real shell', () => {
    const args = ['a b', "it's", '"q"', '$HOME', 'x;y', '`id`', '\\n', 'line\nbreak', '', '*', '-e', 'ünï'];
    const script = `for a in ${shellJoin(args)}; do printf '%s\\0' "$a"; done`;
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });
});
