import { describe, expect, it } from 'vitest';
import { decideMmdebstrapMode, hasSubordinateIds, type ModeFacts } from './mmdebstrap-mode.js';

const rootless: ModeFacts = {
  version: 'mmdebstrap 1.3.5',
  euid: 1000,
  user: 'dev',
  uid: 1000,
  unprivilegedUsernsClone: undefined,
  maxUserNamespaces: '63000\n',
  apparmorRestrictUserns: undefined,
  subuid: 'other:100000:65536\ndev:165536:65536\n',
  subgid: '1000:165536:65536\n',
  newuidmap: true,
  newgidmap: true,
};

describe('decideMmdebstrapMode', () => {
  it('uses root mode as root', () => {
    expect(decideMmdebstrapMode({ ...rootless, euid: 0 })).toMatchObject({ mode: 'root' });
  });

  it('uses rootless unshare mode when user namespaces and subordinate ids are there', () => {
    expect(decideMmdebstrapMode(rootless)).toMatchObject({ mode: 'unshare' });
  });

  it('says what is missing, with a fix, when unshare is not possible', () => {
    const cases: [Partial<ModeFacts>, RegExp][] = [
      [{ unprivilegedUsernsClone: '0\n' }, /unprivileged_userns_clone/],
      [{ maxUserNamespaces: '0' }, /max_user_namespaces/],
      [{ apparmorRestrictUserns: '1' }, /AppArmor/],
      [{ subuid: undefined }, /subordinate uids for dev/],
      [{ subgid: 'dev:1:100\n' }, /subordinate gids/],
      [{ newgidmap: false }, /newuidmap/],
    ];
    for (const [change, reason] of cases) {
      const report = decideMmdebstrapMode({ ...rootless, ...change });
      expect(report.mode).toBe('unavailable');
      expect(report.detail).toMatch(reason);
      expect(report.fix).toBeTruthy();
    }
  });

  it('reports a missing mmdebstrap first', () => {
    expect(decideMmdebstrapMode({ ...rootless, version: undefined })).toMatchObject({
      mode: 'unavailable',
      fix: expect.stringMatching(/apt-get install mmdebstrap/),
    });
  });
});

describe('hasSubordinateIds', () => {
  it('matches the user by name or uid with at least 65536 ids', () => {
    expect(hasSubordinateIds('dev:100000:65536', 'dev', 1000)).toBe(true);
    expect(hasSubordinateIds('1000:100000:70000', 'dev', 1000)).toBe(true);
    expect(hasSubordinateIds('dev:100000:1000', 'dev', 1000)).toBe(false);
    expect(hasSubordinateIds('devx:100000:65536', 'dev', 1000)).toBe(false);
  });
});
