import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import {
  compareDebianVersions,
  parseDepends,
  parsePackagesIndex,
  resolveKernelPackage,
} from './packages-index.js';

const sha = (c: string) => c.repeat(64);

const INDEX = `Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (6.1.176+1)
Version: 6.1.176-1
Architecture: amd64
Depends: linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1)
Description: Linux for x86-64 cloud (meta-package)
 This package depends on the latest Linux kernel
 and modules for use on cloud platforms.
Filename: pool/main/l/linux-signed-amd64/linux-image-cloud-amd64_6.1.176-1_amd64.deb
Size: 1500
SHA256: ${sha('a')}

Package: linux-image-6.1.0-50-cloud-amd64
Version: 6.1.176-1
Architecture: amd64
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Filename: pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb
Size: 26484304
SHA256: ${sha('B')}

Package: busybox-static
Version: 1:1.35.0-4
Filename: pool/main/b/busybox/busybox-static_1.35.0-4_amd64.deb
Size: 10
SHA256: ${sha('c')}

Package: busybox-static
Version: 1:1.35.0-4+deb12u1
Filename: pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1_amd64.deb
Size: 11
SHA256: ${sha('d')}

Package: no-hash
Version: 1
Filename: pool/x.deb
Size: 1
`;

describe('parsePackagesIndex', () => {
  const index = parsePackagesIndex(INDEX);

  it('reads the download fields of each stanza and folds continuation lines', () => {
    const pkg = index.get('linux-image-6.1.0-50-cloud-amd64');
    expect(pkg).toEqual({
      name: 'linux-image-6.1.0-50-cloud-amd64',
      version: '6.1.176-1',
      architecture: 'amd64',
      filename: 'pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb',
      size: 26484304,
      sha256: sha('b'),
      depends: 'kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool',
    });
  });

  it('keeps the highest version of a repeated package and skips stanzas without a hash', () => {
    expect(index.get('busybox-static')?.version).toBe('1:1.35.0-4+deb12u1');
    expect(index.has('no-hash')).toBe(false);
  });
});

describe('parseDepends', () => {
  it('drops version constraints and arch qualifiers and keeps alternatives', () => {
    expect(parseDepends('a (>= 1), b:any | c [amd64], d <!nocheck>')).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(parseDepends('')).toEqual([]);
  });
});

describe('resolveKernelPackage', () => {
  const index = parsePackagesIndex(INDEX);

  it('follows the metapackage to the versioned image package', () => {
    expect(resolveKernelPackage(index, 'linux-image-cloud-amd64').name).toBe(
      'linux-image-6.1.0-50-cloud-amd64',
    );
  });

  it('returns a versioned package as is', () => {
    expect(resolveKernelPackage(index, 'linux-image-6.1.0-50-cloud-amd64').size).toBe(26484304);
  });

  it('fails clearly for unknown packages and metapackages without an image dependency', () => {
    expect(() => resolveKernelPackage(index, 'linux-image-rt-amd64')).toThrow(/not in the archive index/);
    try {
      resolveKernelPackage(index, 'busybox-static');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('not_found');
    }
  });
});

describe('compareDebianVersions', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.10', '1.9', 1],
    ['1:0.1', '2.0', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['6.1.176-1', '6.1.170-2', 1],
    ['6.1.0-50-cloud-amd64', '6.1.0-9-cloud-amd64', 1],
    ['1.0-1', '1.0-1~bpo1', 1],
    ['1.0a', '1.0', 1],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareDebianVersions(a, b)) || 0).toBe(expected);
    expect(Math.sign(compareDebianVersions(b, a)) || 0).toBe(expected === 0 ? 0 : -expected);
  });
});
