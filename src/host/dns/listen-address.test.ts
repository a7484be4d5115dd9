import { describe, expect, it } from 'vitest';
import { formatListenAddress, parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:42069', { host: '127.0.0.1', port: 42069 }],
    ['172.16.0.1', { host: '172.16.0.1', port: 42069 }],
    [' 127.0.0.1:0 ', { host: '127.0.0.1', port: 0 }],
    ['[::1]:53', { host: '::1', port: 53 }],
    ['[fd00::1]', { host: 'fd00::1', port: 42069 }],
    ['::1', { host: '::1', port: 42069 }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
    expect(parseListenAddress(formatListenAddress(expected))).toEqual(expected);
  });

  it.each([
    'localhost:53',
    '127.0.0.1:65536',
    '127.0.0.1:-1',
    '127.0.0.1:',
    '[127.0.0.1]:53',
    '127.0.0.1:5x',
    '',
  ])('rejects %j', (text) => {
    expect(() => parseListenAddress(text)).toThrow(expect.objectContaining({ code: 'invalid_config' }));
  });
});
