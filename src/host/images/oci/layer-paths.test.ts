import { describe, expect, it } from 'vitest';
import { checkEntryName, classifyWhiteout, isWithin, keyOf, symlinkEscapes } from './layer-paths.js';

describe('checkEntryName', () => {
  it('normalises ./ prefixes, duplicate slashes and trailing slashes', () => {
    expect(checkEntryName('./usr//bin/')).toEqual({ ok: true, parts: ['usr', 'bin'], namesItself: true });
    expect(checkEntryName('etc/passwd')).toEqual({ ok: true, parts: ['etc', 'passwd'], namesItself: false });
    expect(checkEntryName('./')).toEqual({ ok: true, parts: [], namesItself: true });
    expect(checkEntryName('.')).toEqual({ ok: true, parts: [], namesItself: true });
    expect(checkEntryName('a/.')).toEqual({ ok: true, parts: ['a'], namesItself: true });
    // umoci names the root directory "/".
    expect(checkEntryName('/')).toEqual({ ok: true, parts: [], namesItself: true });
    expect(checkEntryName('/./')).toEqual({ ok: true, parts: [], namesItself: true });
  });

  it.each([
    ['../etc/passwd', '".." component'],
    ['a/../../b', '".." component'],
    ['a/..', '".." component'],
    ['..', '".." component'],
    ['/etc/passwd', 'absolute path'],
    ['//etc', 'absolute path'],
    ['/./etc', 'absolute path'],
    ['', 'empty name'],
    ['a\0b', 'NUL'],
  ])('rejects %j (%s)', (name, reason) => {
    const result = checkEntryName(name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('accepts names that merely contain dots', () => {
    expect(checkEntryName('a/..b/c..').ok).toBe(true);
    expect(checkEntryName('.../x').ok).toBe(true);
  });
});

describe('classifyWhiteout', () => {
  it('recognises opaque markers, deletions, aufs metadata and ordinary names', () => {
    expect(classifyWhiteout(['etc', '.wh..wh..opq'])).toEqual({ kind: 'opaque', dir: ['etc'] });
    expect(classifyWhiteout(['.wh..wh..opq'])).toEqual({ kind: 'opaque', dir: [] });
    expect(classifyWhiteout(['etc', '.wh.motd'])).toEqual({ kind: 'delete', target: ['etc', 'motd'] });
    expect(classifyWhiteout(['.wh..wh.plnk'])).toEqual({ kind: 'ignore' });
    expect(classifyWhiteout(['etc', 'motd.wh.'])).toEqual({ kind: 'none' });
    expect(classifyWhiteout([])).toEqual({ kind: 'none' });
  });

  it('rejects a bare .wh. and whiteouts of . or ..', () => {
    expect(classifyWhiteout(['etc', '.wh.'])).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('bare'),
    });
    expect(classifyWhiteout(['etc', '.wh..'])).toMatchObject({ kind: 'invalid' });
    expect(classifyWhiteout(['etc', '.wh...'])).toMatchObject({ kind: 'invalid' });
  });
});

describe('symlinkEscapes', () => {
  it('allows relative targets that stay inside and absolute ones (resolved in the guest)', () => {
    expect(symlinkEscapes(['etc', 'os-release'], '../usr/lib/os-release')).toBe(false);
    expect(symlinkEscapes(['lib'], 'usr/lib')).toBe(false);
    expect(symlinkEscapes(['a', 'b', 'c'], '../../x/../y')).toBe(false);
    expect(symlinkEscapes(['bin', 'sh'], '/bin/dash')).toBe(false);
    expect(symlinkEscapes(['x'], '.')).toBe(false);
  });

  it('refuses targets that climb above the root, relative or absolute', () => {
    expect(symlinkEscapes(['etc', 'x'], '../../etc/shadow')).toBe(true);
    expect(symlinkEscapes(['x'], '..')).toBe(true);
    expect(symlinkEscapes(['a', 'b'], '../x/../../..')).toBe(true);
    expect(symlinkEscapes(['x'], '/../../etc')).toBe(true);
  });
});

describe('keys', () => {
  it('joins components and tests containment on component boundaries', () => {
    expect(keyOf([])).toBe('');
    expect(keyOf(['a', 'b'])).toBe('a/b');
    expect(isWithin('a/b/c', 'a/b')).toBe(true);
    expect(isWithin('a/b', 'a/b')).toBe(true);
    expect(isWithin('a/bc', 'a/b')).toBe(false);
    expect(isWithin('anything', '')).toBe(true);
  });
});

describe('layer path edges', () => {
  it('gives the exact reasons', () => {
    expect(checkEntryName('')).toEqual({ ok: false, reason: 'has an empty name' });
    expect(checkEntryName('/a\0')).toEqual({ ok: false, reason: 'has a NUL byte in its name' });
    expect(checkEntryName('/x')).toEqual({ ok: false, reason: 'is an absolute path' });
    expect(checkEntryName('x/..')).toEqual({ ok: false, reason: 'has a ".." component' });
    expect(classifyWhiteout(['.wh.'])).toEqual({ kind: 'invalid', reason: 'is a bare ".wh." whiteout' });
    expect(classifyWhiteout(['.wh..'])).toEqual({ kind: 'invalid', reason: 'is a whiteout of "."' });
    expect(classifyWhiteout(['.wh...'])).toEqual({ kind: 'invalid', reason: 'is a whiteout of ".."' });
  });

  it('keeps a name ending in a component, and the whiteout target with its parents', () => {
    expect(checkEntryName('a//b')).toEqual({ ok: true, parts: ['a', 'b'], namesItself: false });
    expect(checkEntryName('a/./b/.')).toEqual({ ok: true, parts: ['a', 'b'], namesItself: true });
    expect(classifyWhiteout(['a', 'b', '.wh..x'])).toEqual({ kind: 'delete', target: ['a', 'b', '.x'] });
    expect(classifyWhiteout(['a', '.wh..wh..opqx'])).toEqual({ kind: 'ignore' });
    expect(classifyWhiteout(['a', 'wh.x'])).toEqual({ kind: 'none' });
  });

  it('resolves a relative target from the directory holding the link, not the link itself', () => {
    expect(symlinkEscapes(['a', 'b', 'l'], '../../x')).toBe(false);
    expect(symlinkEscapes(['a', 'b', 'l'], '../../../x')).toBe(true);
    expect(symlinkEscapes(['l'], 'x/../..')).toBe(true);
    expect(symlinkEscapes(['a', 'l'], '/a/..')).toBe(false);
    expect(symlinkEscapes(['a', 'l'], '/..')).toBe(true);
    expect(symlinkEscapes(['a', 'l'], './/../')).toBe(false);
    expect(symlinkEscapes(['a', 'l'], '...')).toBe(false);
  });

  it('tests containment on whole components only', () => {
    expect(isWithin('a', 'a/b')).toBe(false);
    expect(isWithin('', 'a')).toBe(false);
    expect(isWithin('ab', 'a')).toBe(false);
    expect(isWithin('a/b', 'a')).toBe(true);
  });
});
