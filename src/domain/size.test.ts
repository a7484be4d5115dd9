import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { formatSize, parseSize } from './size.js';

describe('sizes', () => {
  it.each([
    ['16G', 16 * 1024 ** 3],
    ['512M', 512 * 1024 ** 2],
    ['1024k', 1024 * 1024],
    ['1K', 1024],
    ['1M', 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1T', 1024 ** 4],
    ['2t', 2 * 1024 ** 4],
    ['4096', 4096],
    ['0', 0],
    ['2GiB', 2 * 1024 ** 3],
    ['3KB', 3 * 1024],
    ['5b', 5],
    [' 8G\n', 8 * 1024 ** 3],
  ])('parses %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', ' ', 'G', '1.5G', '-1G', '16 X', '1e9', '1P', '1GG', 'x1G', '1Gx', '1 G', '1iB1'])(
    'rejects %j with a clear message',
    (text) => {
      const err = errorOf(() => parseSize(text, 'disk size'));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toBe(`invalid disk size "${text}"; use a number with K, M, G or T, e.g. 16G`);
    },
  );

  it('names the value "size" unless told otherwise', () => {
    expect(errorOf(() => parseSize('x')).message).toMatch(/^invalid size "x"/);
  });

  it('refuses sizes beyond 2^53 bytes instead of rounding them', () => {
    expect(parseSize('8191T')).toBe(8191 * 1024 ** 4);
    const err = errorOf(() => parseSize('8192T', 'memory'));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe('memory "8192T" is too large');
    expect(errorOf(() => parseSize('99999999999999999')).message).toBe(
      'size "99999999999999999" is too large',
    );
  });

  it('formats with the largest exact unit, else one decimal', () => {
    expect(formatSize(8 * 1024 ** 3)).toBe('8G');
    expect(formatSize(1536 * 1024 ** 2)).toBe('1.5G');
    expect(formatSize(1024 ** 4)).toBe('1T');
    expect(formatSize(1024 ** 4 - 1024 ** 3)).toBe('1023G');
    expect(formatSize(1024 ** 2)).toBe('1M');
    expect(formatSize(1024)).toBe('1K');
    expect(formatSize(1023)).toBe('1023B');
    expect(formatSize(1025)).toBe('1.0K');
    expect(formatSize(0)).toBe('0B');
    expect(formatSize(100)).toBe('100B');
  });
});
