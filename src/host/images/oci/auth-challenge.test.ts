import { describe, expect, it } from 'vitest';
import { parseChallenge } from './auth-challenge.js';

describe('parseChallenge', () => {
  it("parses Docker Hub's bearer challenge", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/debian:pull',
      },
    });
  });

  it('handles commas inside quotes, escapes, spaces and unquoted values', () => {
    expect(parseChallenge('Bearer realm="http://a/t" , Scope="repository:x:pull,push", service=reg')).toEqual(
      {
        scheme: 'bearer',
        params: { realm: 'http://a/t', scope: 'repository:x:pull,push', service: 'reg' },
      },
    );
    expect(parseChallenge('Bearer realm="a\\"b"')?.params.realm).toBe('a"b');
  });

  it('recognises Basic and returns undefined for nothing', () => {
    expect(parseChallenge('Basic realm="registry"')).toEqual({
      scheme: 'basic',
      params: { realm: 'registry' },
    });
    expect(parseChallenge(undefined)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
  });
});
