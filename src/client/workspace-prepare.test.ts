import { describe, expect, it } from 'vitest';
import { checkGuestPath } from './workspace-prepare.js';

describe('checkGuestPath', () => {
  it('keeps absolute paths, normalised', () => {
    expect(checkGuestPath('/root/repo')).toBe('/root/repo');
    expect(checkGuestPath('/root//x/../repo/')).toBe('/root/repo');
    expect(checkGuestPath('/srv/my repo')).toBe('/srv/my repo');
  });

  it('refuses relative paths, the root and control characters with one line', () => {
    expect(() => checkGuestPath('repo')).toThrow('--guest-path "repo" must be an absolute path in the guest');
    expect(() => checkGuestPath('/')).toThrow(/cannot be the guest root/);
    expect(() => checkGuestPath('/x/..')).toThrow(/cannot be the guest root/);
    expect(() => checkGuestPath('/a\nb')).toThrow(/control characters/);
  });
});
