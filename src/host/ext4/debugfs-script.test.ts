import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { runDebugfs, statPaths } from './debugfs.js';
import { DEBUGFS_MAX_LINE_BYTES, debugfsQuote, debugfsScript } from './debugfs-script.js';

/** `stat "<path>"` of exactly `bytes` bytes. */
const statLine = (bytes: number, fill = 'x') => `stat "/${fill.repeat(bytes - 8)}"`;

describe('debugfsQuote', () => {
  it('quotes a word, doubling quotes, and keeps other control characters literal', () => {
    expect(debugfsQuote('/a b/c"d')).toBe('"/a b/c""d"');
    expect(debugfsQuote('/a\tb\x1b')).toBe('"/a\tb\x1b"');
  });

  it('refuses line breaks and NUL', () => {
    for (const bad of ['/a\nb', '/a\rb', '/a\0b']) {
      expect(() => debugfsQuote(bad)).toThrow(/line break or NUL/);
    }
  });
});

describe('debugfsScript', () => {
  it('joins commands of up to the maximum length, one per line', () => {
    const longest = statLine(DEBUGFS_MAX_LINE_BYTES);
    expect(debugfsScript(['a', longest])).toBe(`a\n${longest}\n`);
    expect(debugfsScript([])).toBe('');
  });

  it('refuses a longer command, naming its path and size', () => {
    const err = (() => {
      try {
        debugfsScript(['ok', statLine(DEBUGFS_MAX_LINE_BYTES + 1)]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid_argument');
    expect((err as AppError).message).toMatch(
      /^the path "\/x{59}…" \(8184 bytes\) is too long for a debugfs command \(8191 bytes, at most 8190;.*shorten it$/,
    );
  });

  it('counts bytes, not characters: quotes double and UTF-8 takes several bytes', () => {
    const quotes = debugfsQuote(`/${'"'.repeat(4094)}`);
    expect(() => debugfsScript([`stat ${quotes}`])).toThrow(/too long/);
    const euros = `stat ${debugfsQuote(`/${'€'.repeat(2800)}`)}`;
    expect(euros.length).toBeLessThan(DEBUGFS_MAX_LINE_BYTES);
    expect(() => debugfsScript([euros])).toThrow(/too long/);
  });

  it('refuses a command with a line break even when it came unquoted', () => {
    expect(() => debugfsScript(['rm "/a"\n!sh'])).toThrow(/line break or NUL/);
  });
});

describe('runDebugfs and statPaths', () => {
  it('never start debugfs with a command too long to be read whole', async () => {
    const runner = new FakeRunner();
    const long = `/${'"'.repeat(4500)}`;
    await expect(
      runDebugfs({ runner, image: 'img', commands: [`set_inode_field ${debugfsQuote(long)} uid 0`] }),
    ).rejects.toThrow(/too long for a debugfs command/);
    await expect(statPaths(runner, 'img', ['/ok', long])).rejects.toThrow(/too long for a debugfs command/);
    expect(runner.calls).toEqual([]);
  });
});
