import { describe, expect, it } from 'vitest';
import { assertTransportAllowed } from './http.js';
import { sniffCompression } from './layer-stream.js';

describe('assertTransportAllowed', () => {
  it('allows HTTPS anywhere and plain HTTP only on loopback or when insecure', () => {
    expect(() => assertTransportAllowed(new URL('https://registry-1.docker.io/v2/'), false)).not.toThrow();
    expect(() => assertTransportAllowed(new URL('http://127.0.0.1:5000/v2/'), false)).not.toThrow();
    expect(() => assertTransportAllowed(new URL('http://localhost/v2/'), false)).not.toThrow();
    expect(() => assertTransportAllowed(new URL('http://reg.lan:5000/v2/'), true)).not.toThrow();
    expect(() => assertTransportAllowed(new URL('http://reg.lan:5000/v2/'), false)).toThrow(
      /Pass --insecure/,
    );
    expect(() => assertTransportAllowed(new URL('http://localhost.evil.com/token'), false)).toThrow();
    expect(() => assertTransportAllowed(new URL('ftp://127.0.0.1/x'), true)).toThrow();
  });
});

describe('sniffCompression', () => {
  it('recognises gzip and zstd magic and treats anything else as a plain tar', () => {
    expect(sniffCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(sniffCompression(Buffer.from('usr/'))).toBe('none');
    expect(sniffCompression(Buffer.alloc(0))).toBe('none');
  });
});
