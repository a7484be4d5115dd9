import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from './size.js';

describe('sizes', () => {
  it.each([
    ['16G', 16 * 1024 ** 3],
    ['512M', 512 * 1024 ** 2],
    ['1024k', 1024 * 1024],
    ['4096', 4096],
    ['2GiB', 2 * 1024 ** 3],
  ])('parses %s', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'G', '1.5G', '-1G', '16 X', '1e9'])('rejects %j with a clear message', (text) => {
    expect(() => parseSize(text, 'disk size')).toThrow(/invalid disk size/);
  });

  it('formats with the largest exact unit', () => {
    expect(formatSize(8 * 1024 ** 3)).toBe('8G');
    expect(formatSize(1536 * 1024 ** 2)).toBe('1.5G');
    expect(formatSize(100)).toBe('100B');
  });
});
