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

describe('parseReference grammar edges', () => {
  const why = (input: string): string | undefined => {
    try {
      parseReference(input);
      return undefined;
    } catch (err) {
      const m =
        /^invalid image reference "(.*)": (.*)\. Use the form \[registry\/\]repository\[:tag\]\[@sha256:digest\], e\.g\. docker\.io\/library\/debian:bookworm$/s.exec(
          (err as Error).message,
        );
      expect(m?.[1]).toBe(input);
      return m?.[2];
    }
  };

  it('explains each refusal and names the form to use', () => {
    expect(why('  ')).toBe('it is empty');
    expect(why(`x@sha256:${'A'.repeat(64)}`)).toBe(
      'only sha256 digests of 64 lowercase hex digits are supported',
    );
    expect(why(`x@sha256:${'a'.repeat(63)}`)).toBe(
      'only sha256 digests of 64 lowercase hex digits are supported',
    );
    expect(why(`x@sha256:${'a'.repeat(65)}`)).toBe(
      'only sha256 digests of 64 lowercase hex digits are supported',
    );
    expect(why(`x@${'a'.repeat(64)}`)).toBe('only sha256 digests of 64 lowercase hex digits are supported');
    expect(why('x:.tag')).toBe('".tag" is not a valid tag');
    expect(why('-a.b/x')).toBe('"-a.b" is not a valid registry host');
    expect(why('a-.b/x')).toBe('"a-.b" is not a valid registry host');
    expect(why('a.b:/x')).toBe('"a.b:" is not a valid registry host');
    expect(why('a.b:5000x/x')).toBe('"a.b:5000x" is not a valid registry host');
    expect(why('x/Y')).toBe('"Y" is not a valid repository component (lowercase letters, digits, . _ -)');
  });

  it('allows tags of 1 to 128 word characters, dots and dashes, not starting with either', () => {
    expect(parseReference(`x:${'t'.repeat(128)}`).tag).toHaveLength(128);
    expect(why(`x:${'t'.repeat(129)}`)).toBe(`"${'t'.repeat(129)}" is not a valid tag`);
    expect(parseReference('x:_a.b-C').tag).toBe('_a.b-C');
    expect(parseReference('x:1').tag).toBe('1');
    expect(why('x:a b')).toBe('"a b" is not a valid tag');
  });

  it('allows repository components joined by one . or _, two _, or any number of -', () => {
    for (const ok of ['a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'a1.b2_c3-d4']) {
      expect(parseReference(`r.example/${ok}`).repository, ok).toBe(ok);
    }
    for (const bad of ['a..b', 'a___b', '.a', 'a.', '-a', 'a-', '_a', 'a_', 'a b', 'é']) {
      expect(why(`r.example/${bad}`), bad).toMatch(/is not a valid repository component/);
    }
  });

  it('limits the repository name to 255 characters, library/ included', () => {
    const ok = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(parseReference(`r.example/${ok}`).repository).toHaveLength(255);
    expect(why(`r.example/${ok}b`)).toBe('the repository name is longer than 255 characters');
    expect(parseReference('a'.repeat(247)).repository).toHaveLength(255);
    expect(why('a'.repeat(248))).toBe('the repository name is longer than 255 characters');
  });

  it('decides like Docker whether the first component is a registry', () => {
    expect(parseReference('localhost/x')).toMatchObject({ registry: 'localhost', repository: 'x' });
    expect(parseReference('myhost/x')).toMatchObject({ registry: 'docker.io', repository: 'myhost/x' });
    expect(parseReference('host:5000/x')).toMatchObject({
      registry: 'host:5000',
      repository: 'x',
      tag: 'latest',
    });
    expect(parseReference('[::1]:5000/x')).toMatchObject({ registry: '[::1]:5000', apiHost: '[::1]:5000' });
    expect(parseReference('[::1]/x').registry).toBe('[::1]');
    expect(parseReference('a.b/c')).toMatchObject({ registry: 'a.b', repository: 'c' });
    expect(parseReference('A-1.Example/c').registry).toBe('A-1.Example');
    // one component is always a repository, even when it looks like a host
    expect(parseReference('a.b')).toMatchObject({ registry: 'docker.io', repository: 'library/a.b' });
    expect(parseReference('index.docker.io/x')).toMatchObject({
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/x',
    });
    expect(parseReference('docker.io/someone/x').repository).toBe('someone/x');
    expect(parseReference('ghcr.io/x')).toMatchObject({ apiHost: 'ghcr.io', repository: 'x' });
  });

  it('trims the input, and keeps a digest-only reference without a tag', () => {
    expect(parseReference('  debian:12 ')).toMatchObject({ repository: 'library/debian', tag: '12' });
    expect(parseReference(`debian@${DIGEST}`)).toMatchObject({ tag: undefined, digest: DIGEST });
  });
});

describe('formatReference', () => {
  it('writes the tag, the digest, or both', () => {
    expect(formatReference(parseReference('localhost:5000/a/b'))).toBe('localhost:5000/a/b:latest');
    expect(formatReference(parseReference(`x@${DIGEST}`))).toBe(`docker.io/library/x@${DIGEST}`);
    expect(formatReference(parseReference(`x:1@${DIGEST}`))).toBe(`docker.io/library/x:1@${DIGEST}`);
  });
});

describe('isLoopbackRegistry', () => {
  it('knows localhost, 127.0.0.1 and [::1], with or without a port, and nothing else', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1', '127.0.0.1:1', '[::1]']) {
      expect(isLoopbackRegistry(host), host).toBe(true);
    }
    for (const host of [
      'localhost:',
      'localhost:50x',
      'xlocalhost',
      'localhostx',
      '127.0.0.2',
      '::1',
      '10.0.0.1:5000',
    ]) {
      expect(isLoopbackRegistry(host), host).toBe(false);
    }
  });
});
