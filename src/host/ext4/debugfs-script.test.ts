import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { errorOf } from '../../testing/app-error.js';
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

describe('debugfsScript messages', () => {
  it('names the longest quoted word, unquoted, with its details', () => {
    const long = `/${'a'.repeat(8200)}"b`;
    const command = `rdump ${debugfsQuote('/short')} ${debugfsQuote(long)} ${debugfsQuote('/mid'.repeat(3))}`;
    const err = errorOf(() => debugfsScript([command]));
    const bytes = Buffer.byteLength(command);
    expect(err.message).toBe(
      `the path ${JSON.stringify(`${long.slice(0, 60)}…`)} (8203 bytes) is too long for a debugfs command (${bytes} bytes, at most 8190; every " counts twice), so it cannot be written into an ext4 image without mounting it; shorten it`,
    );
    expect(err.details).toEqual({ path: long, commandBytes: bytes, maxBytes: 8190 });
  });

  it('shows a path of up to 60 characters whole, and the command itself when nothing is quoted', () => {
    const bare = `x${' '.repeat(8190)}`;
    const err = errorOf(() => debugfsScript([bare]));
    expect(err.details).toMatchObject({ path: bare, commandBytes: 8191 });
    const sixty = 'p'.repeat(60);
    const padded = `stat ${debugfsQuote(sixty)} ${' '.repeat(8200)}`;
    expect(errorOf(() => debugfsScript([padded])).message).toMatch(
      /^the path "p{60}" \(60 bytes\) is too long/,
    );
  });

  it.each(['a\nb', 'a\rb', 'a\0b'])('refuses %j in a command, quoting its first 80 characters', (command) => {
    const full = `${command}${'z'.repeat(100)}`;
    const err = errorOf(() => debugfsScript(['ok', full]));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe(
      `the debugfs command ${JSON.stringify(full.slice(0, 80))} contains a line break or NUL; rename the file`,
    );
  });

  it('names the refused word', () => {
    const err = errorOf(() => debugfsQuote('/a\nb'));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe(
      '"/a\\nb" contains a line break or NUL, which cannot be written into an ext4 image without mounting it; rename it',
    );
  });

  it('quotes every word, even a plain one, and an empty one as ""', () => {
    expect(debugfsQuote('/plain')).toBe('"/plain"');
    expect(debugfsQuote('')).toBe('""');
    expect(debugfsQuote('""')).toBe('""""""');
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
