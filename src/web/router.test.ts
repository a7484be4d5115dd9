import { describe, expect, it } from 'vitest';
import { imageHref, kernelHref, parseHash, terminalHref, vmHref } from './router.js';

describe('parseHash', () => {
  it('maps each page and treats an empty hash as the VM list', () => {
    expect(parseHash('')).toEqual({ kind: 'vms' });
    expect(parseHash('#/')).toEqual({ kind: 'vms' });
    expect(parseHash('#/vms')).toEqual({ kind: 'vms' });
    expect(parseHash('#/create')).toEqual({ kind: 'create' });
    expect(parseHash('#/images')).toEqual({ kind: 'images' });
    expect(parseHash('#/daemon')).toEqual({ kind: 'daemon' });
    expect(parseHash('#/vms/alpha')).toEqual({ kind: 'vm', name: 'alpha' });
  });

  it('maps a VM terminal page and round-trips its name through terminalHref', () => {
    expect(parseHash('#/vms/alpha/terminal')).toEqual({ kind: 'terminal', name: 'alpha' });
    expect(parseHash(terminalHref('a b/c'))).toEqual({ kind: 'terminal', name: 'a b/c' });
  });

  it('round-trips a VM name through vmHref, and refuses what is not a page', () => {
    expect(parseHash(vmHref('a b/c'))).toEqual({ kind: 'vm', name: 'a b/c' });
    expect(parseHash('#/vms/%E0%A4%A')).toEqual({ kind: 'not-found', hash: '#/vms/%E0%A4%A' });
    expect(parseHash('#/vms/a/b')).toMatchObject({ kind: 'not-found' });
    expect(parseHash('#/vms/a/terminal/x')).toMatchObject({ kind: 'not-found' });
    expect(parseHash('#main')).toMatchObject({ kind: 'not-found' });
  });

  it('maps image and kernel pages and round-trips their names', () => {
    expect(parseHash('#/images/debian-bookworm')).toEqual({ kind: 'image', name: 'debian-bookworm' });
    expect(parseHash('#/kernels/k1')).toEqual({ kind: 'kernel', name: 'k1' });
    expect(parseHash(imageHref('a b'))).toEqual({ kind: 'image', name: 'a b' });
    expect(parseHash(kernelHref('a/b'))).toEqual({ kind: 'kernel', name: 'a/b' });
    expect(parseHash('#/images/%E0%A4%A')).toMatchObject({ kind: 'not-found' });
    expect(parseHash('#/images/a/b')).toMatchObject({ kind: 'not-found' });
    expect(parseHash('#/kernels/')).toMatchObject({ kind: 'not-found' });
  });
});
