import { describe, expect, it } from 'vitest';
import { clearsignedBody, parseReleaseSha256, releaseField } from './release-file.js';

const BODY = `Origin: Debian
Codename: bookworm
Acquire-By-Hash: yes
MD5Sum:
 b838d31986207780a596ce3e8010f90f  8790396 main/binary-amd64/Packages.xz
SHA256:
 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 main/binary-amd64/Packages
 9E0B5AABB2465B3D2E7A7FE27F9913846277833F7A2826E7767ACCFF5B588C5A  8790396 main/binary-amd64/Packages.xz`;

describe('Release files', () => {
  it('parses only the SHA256 field into path → hash and size', () => {
    const entries = parseReleaseSha256(BODY);
    expect(entries.size).toBe(2);
    expect(entries.get('main/binary-amd64/Packages.xz')).toEqual({
      sha256: '9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767accff5b588c5a',
      size: 8790396,
    });
  });

  it('strips clearsign armor and dash-escaping', () => {
    const signed = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${BODY}\n- -dashed line\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n`;
    const body = clearsignedBody(signed);
    expect(body.startsWith('Origin: Debian')).toBe(true);
    expect(body.endsWith('-dashed line')).toBe(true);
    expect(clearsignedBody(BODY)).toBe(BODY);
  });

  it('rejects a clearsigned file without a signature block', () => {
    expect(() => clearsignedBody('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: x\n')).toThrow(
      /malformed InRelease/,
    );
  });

  it('reads single-line fields', () => {
    expect(releaseField(BODY, 'Acquire-By-Hash')).toBe('yes');
    expect(releaseField(BODY, 'Suite')).toBeUndefined();
  });
});
