import { describe, expect, it } from 'vitest';
import { selectPlatform } from './platform.js';
import type { IndexEntry } from './schemas.js';

function entry(n: number, platform?: IndexEntry['platform']): IndexEntry {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
    size: 100,
    platform,
  };
}

describe('selectPlatform', () => {
  it('picks linux/amd64 out of a multi-platform index', () => {
    const list = [
      entry(1, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(2, { os: 'linux', architecture: 'amd64' }),
      entry(3, { os: 'windows', architecture: 'amd64' }),
    ];
    expect(selectPlatform(list, 'x').digest).toBe(list[1]?.digest);
  });

  it('prefers the amd64 entry without a variant and ignores attestations', () => {
    const list = [
      entry(4, { os: 'unknown', architecture: 'unknown' }),
      entry(5, { os: 'linux', architecture: 'amd64', variant: 'v3' }),
      entry(6, { os: 'linux', architecture: 'amd64' }),
      entry(7),
    ];
    expect(selectPlatform(list, 'x').digest).toBe(list[2]?.digest);
    expect(selectPlatform(list.slice(0, 2), 'x').digest).toBe(list[1]?.digest);
  });

  it('lists the available platforms when linux/amd64 is missing', () => {
    const list = [
      entry(1, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(2, { os: 'linux', architecture: 's390x' }),
      entry(3),
    ];
    expect(() => selectPlatform(list, 'example/img:1')).toThrow(
      /example\/img:1 has no linux\/amd64 image \(available platforms: linux\/arm64\/v8, linux\/s390x, unknown\)/,
    );
    expect(() => selectPlatform([], 'e')).toThrow(/available platforms: none/);
  });
});
