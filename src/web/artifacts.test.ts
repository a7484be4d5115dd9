import { describe, expect, it } from 'vitest';
import { imageSourceFields, kernelSourceFields, sourceSummary } from './artifacts.js';

describe('sourceSummary', () => {
  it('names the reference of an OCI image and the kind of the others', () => {
    expect(sourceSummary({ source: { kind: 'oci', reference: 'r/a:1', manifestDigest: 'sha256:x' } })).toBe(
      'oci r/a:1',
    );
    expect(sourceSummary({ source: { kind: 'register', rootfs: '/a' } })).toBe('register');
  });
});

describe('imageSourceFields', () => {
  const files = { rootfs: '/images/a/rootfs.ext4' };
  it('lists each kind’s details', () => {
    expect(
      imageSourceFields({
        ...files,
        source: { kind: 'oci', reference: 'r/a:1', manifestDigest: 'sha256:x' },
      }),
    ).toEqual([
      ['Source', 'OCI image'],
      ['Reference', 'r/a:1'],
      ['Manifest digest', 'sha256:x'],
    ]);
    expect(
      imageSourceFields({
        ...files,
        source: { kind: 'build', packages: [], packagesFile: '/p.txt', mode: 'unshare' },
      }),
    ).toEqual([
      ['Source', 'built by banger (unshare mode)'],
      ['Packages file', '/p.txt'],
      ['Packages', '–'],
    ]);
  });

  it('shows where a registered image came from only when its files are elsewhere now', () => {
    expect(
      imageSourceFields({
        rootfs: '/r',
        workSeed: '/w',
        source: { kind: 'register', rootfs: '/r', workSeed: '/w' },
      }),
    ).toEqual([['Source', 'registered files']]);
    expect(
      imageSourceFields({ ...files, source: { kind: 'register', rootfs: '/r', workSeed: '/w' } }),
    ).toEqual([
      ['Source', 'registered files'],
      ['Registered rootfs', '/r'],
      ['Registered work seed', '/w'],
    ]);
  });
});

describe('kernelSourceFields', () => {
  it('puts the kind first, the keys in words, and skips absent values', () => {
    expect(
      kernelSourceFields({
        catalog: 'debian-bookworm-cloud',
        kind: 'deb',
        packageVersion: '6.1.1',
        debSha256: 'ab',
        url: undefined,
      }),
    ).toEqual([
      ['Source', 'deb'],
      ['Catalog', 'debian-bookworm-cloud'],
      ['Package version', '6.1.1'],
      ['Deb SHA-256', 'ab'],
    ]);
  });

  it('shows values that are not strings as JSON', () => {
    expect(kernelSourceFields({ kind: 'rootfs', root: '/x', extra: { a: 1 } })).toEqual([
      ['Source', 'rootfs'],
      ['Root', '/x'],
      ['Extra', '{"a":1}'],
    ]);
  });
});
