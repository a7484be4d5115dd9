import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { formatReference, isLoopbackRegistry, parseReference, registryBaseUrl } from './reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it('expands a bare Docker Hub name to library/<name>:latest on registry-1.docker.io', () => {
    expect(parseReference('debian')).toEqual({
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/debian',
      tag: 'latest',
      digest: undefined,
    });
  });

  it('parses a fully qualified Docker Hub reference', () => {
    const ref = parseReference('docker.io/library/debian:bookworm');
    expect(ref).toMatchObject({ registry: 'docker.io', repository: 'library/debian', tag: 'bookworm' });
    expect(formatReference(ref)).toBe('docker.io/library/debian:bookworm');
  });

  it('keeps user repositories on Docker Hub without library/', () => {
    expect(parseReference('someone/tool:1.2').repository).toBe('someone/tool');
    expect(parseReference('index.docker.io/someone/tool').registry).toBe('docker.io');
  });

  it('treats a host:port first component as the registry', () => {
    expect(parseReference('localhost:5000/x:y')).toEqual({
      registry: 'localhost:5000',
      apiHost: 'localhost:5000',
      repository: 'x',
      tag: 'y',
      digest: undefined,
    });
    expect(parseReference('localhost/x').registry).toBe('localhost');
    expect(parseReference('ghcr.io/org/sub/img').repository).toBe('org/sub/img');
  });

  it('parses digests, with or without a tag, and lets the digest win', () => {
    expect(parseReference(`host.example/x@${DIGEST}`)).toMatchObject({
      registry: 'host.example',
      repository: 'x',
      tag: undefined,
      digest: DIGEST,
    });
    expect(parseReference(`127.0.0.1:5000/a/b:v1@${DIGEST}`)).toMatchObject({ tag: 'v1', digest: DIGEST });
  });

  it.each([
    ['', 'empty'],
    ['Debian', 'uppercase'],
    ['debian:', 'empty tag'],
    ['debian:-x', 'bad tag'],
    ['x@sha256:abc', 'short digest'],
    [`x@sha512:${'a'.repeat(128)}`, 'other algorithm'],
    ['a//b', 'empty component'],
    ['bad_host:99999x/x', 'bad port'],
    ['x/../y', 'dot dot'],
  ])('rejects %j (%s) with invalid_argument', (input) => {
    expect(() => parseReference(input)).toThrow(AppError);
    try {
      parseReference(input);
    } catch (err) {
      expect((err as AppError).code).toBe('invalid_argument');
    }
  });
});

describe('registryBaseUrl', () => {
  it('uses plain HTTP only for loopback registries or when insecure is explicit', () => {
    expect(registryBaseUrl(parseReference('localhost:5000/x'), false)).toBe('http://localhost:5000');
    expect(registryBaseUrl(parseReference('127.0.0.1:5000/x'), false)).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl(parseReference('debian'), false)).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl(parseReference('reg.lan:5000/x'), false)).toBe('https://reg.lan:5000');
    expect(registryBaseUrl(parseReference('reg.lan:5000/x'), true)).toBe('http://reg.lan:5000');
  });

  it('does not mistake look-alike hosts for loopback', () => {
    expect(isLoopbackRegistry('localhost.evil.com')).toBe(false);
    expect(isLoopbackRegistry('127.0.0.1.nip.io:80')).toBe(false);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
  });
});
