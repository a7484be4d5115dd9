import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { untrustedReason } from './trusted-path.js';

/** Real files with real owners and modes: this check is what stands between a user and a root-run grant. */
let base: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'banger-trust-'));
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

function file(rel: string, mode = 0o644): string {
  const path = join(base, rel);
  writeFileSync(path, '{}');
  chmodSync(path, mode);
  return path;
}

function dir(rel: string, mode = 0o755): string {
  const path = join(base, rel);
  mkdirSync(path);
  chmodSync(path, mode);
  return path;
}

describe('untrustedReason', () => {
  it('trusts a root-owned file and directory nobody else can write', () => {
    expect(untrustedReason(file('f'))).toBeUndefined();
    expect(untrustedReason(dir('d'), 'dir')).toBeUndefined();
    // group-writable is fine when the group is root's
    expect(untrustedReason(file('g', 0o664))).toBeUndefined();
    expect(untrustedReason(join(base, '.', 'f'))).toBeUndefined();
  });

  it('refuses files others own or can write', () => {
    const owned = file('owned');
    chownSync(owned, 1000, 0);
    expect(untrustedReason(owned)).toBe(`${owned} is owned by uid 1000, not root`);
    const open = file('open', 0o646);
    expect(untrustedReason(open)).toBe(`${open} is writable by every user`);
    const group = file('group', 0o664);
    chownSync(group, 0, 1000);
    expect(untrustedReason(group)).toBe(`${group} is writable by group 1000`);
    const groupRead = file('group-read', 0o644);
    chownSync(groupRead, 0, 1000);
    expect(untrustedReason(groupRead)).toBeUndefined();
  });

  it('refuses a missing path and the wrong kind', () => {
    expect(untrustedReason(join(base, 'missing'))).toBe(`${join(base, 'missing')} does not exist`);
    expect(untrustedReason(dir('d'))).toBe(`${join(base, 'd')} is not a file`);
    expect(untrustedReason(file('f'), 'dir')).toBe(`${join(base, 'f')} is not a dir`);
    expect(untrustedReason(join(base, 'nodir', 'f'))).toBe(`${join(base, 'nodir')} does not exist`);
    file('plain');
    expect(untrustedReason(join(base, 'plain', 'f'))).toBe(`${join(base, 'plain')} is not a directory`);
  });

  it('refuses a file below a directory another user owns or can write, at any depth', () => {
    const owned = dir('owned');
    const inner = join(owned, 'inner');
    mkdirSync(inner);
    writeFileSync(join(inner, 'f'), '');
    chownSync(owned, 1000, 1000);
    expect(untrustedReason(join(inner, 'f'))).toBe(`${owned} is owned by uid 1000, not root`);
    const open = dir('open', 0o777);
    writeFileSync(join(open, 'f'), '');
    expect(untrustedReason(join(open, 'f'))).toBe(`${open} is writable by every user`);
    const group = dir('group', 0o775);
    chownSync(group, 0, 1000);
    writeFileSync(join(group, 'f'), '');
    expect(untrustedReason(join(group, 'f'))).toBe(`${group} is writable by group 1000`);
    const rootGroup = dir('root-group', 0o775);
    writeFileSync(join(rootGroup, 'f'), '');
    expect(untrustedReason(join(rootGroup, 'f'))).toBeUndefined();
  });

  it('accepts sticky directories on the way, whoever can write them, but not ones another user owns', () => {
    const sticky = dir('sticky', 0o1777);
    writeFileSync(join(sticky, 'f'), '');
    expect(untrustedReason(join(sticky, 'f'))).toBeUndefined();
    const stickyGroup = dir('sticky-group', 0o1775);
    chownSync(stickyGroup, 0, 1000);
    writeFileSync(join(stickyGroup, 'f'), '');
    expect(untrustedReason(join(stickyGroup, 'f'))).toBeUndefined();
    const theirs = dir('theirs', 0o1777);
    chownSync(theirs, 1000, 0);
    writeFileSync(join(theirs, 'f'), '');
    expect(untrustedReason(join(theirs, 'f'))).toBe(`${theirs} is owned by uid 1000, not root`);
    // the sticky bit protects entries in a directory, not a file's own content
    const stickyFile = file('sticky-file', 0o1646);
    expect(untrustedReason(stickyFile)).toBe(`${stickyFile} is writable by every user`);
  });

  it("follows root's symlinks hop by hop, checking every hop's directory", () => {
    const target = file('target');
    symlinkSync('target', join(base, 'rel'));
    expect(untrustedReason(join(base, 'rel'))).toBeUndefined();
    const sub = dir('sub');
    symlinkSync('../rel', join(sub, 'hop'));
    expect(untrustedReason(join(sub, 'hop'))).toBeUndefined();
    symlinkSync(target, join(base, 'abs'));
    expect(untrustedReason(join(base, 'abs'))).toBeUndefined();
    // the link is fine, but it points into a directory a user owns
    const theirs = dir('theirs');
    writeFileSync(join(theirs, 'f'), '');
    chownSync(theirs, 1000, 1000);
    symlinkSync(join(theirs, 'f'), join(base, 'into-theirs'));
    expect(untrustedReason(join(base, 'into-theirs'))).toBe(`${theirs} is owned by uid 1000, not root`);
    symlinkSync('nowhere', join(base, 'dangling'));
    expect(untrustedReason(join(base, 'dangling'))).toBe(`${join(base, 'nowhere')} does not exist`);
    // a directory reached through a root-owned symlinked directory is judged by its real path
    symlinkSync(sub, join(base, 'sub-link'));
    expect(untrustedReason(join(base, 'sub-link', 'hop'))).toBeUndefined();
  });

  it("refuses a user's symlink, and a symlink loop", () => {
    file('target');
    const link = join(base, 'their-link');
    symlinkSync('target', link);
    lchownSync(link, 1000, 1000);
    expect(untrustedReason(link)).toBe(`${link} is a symlink not owned by root`);
    symlinkSync('loop-b', join(base, 'loop-a'));
    symlinkSync('loop-a', join(base, 'loop-b'));
    expect(untrustedReason(join(base, 'loop-a'))).toBe(`${join(base, 'loop-a')} has too many symlinks`);
  });

  it('follows a chain of 39 symlinks but not 40', () => {
    file('end');
    let previous = 'end';
    for (let i = 1; i <= 40; i++) {
      symlinkSync(previous, join(base, `l${i}`));
      previous = `l${i}`;
    }
    expect(untrustedReason(join(base, 'l39'))).toBeUndefined();
    expect(untrustedReason(join(base, 'l40'))).toBe(`${join(base, 'l40')} has too many symlinks`);
  });
});
