import { describe, expect, it } from 'vitest';
import { archivePath, readNewc, writeNewc } from './newc.js';

describe('newc cpio', () => {
  const entries = [
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/busybox', data: Buffer.from('ELF...'), mode: 0o755 },
    { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
    { type: 'dir', path: 'dev' },
    { type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
  ] as const;

  it('round-trips entries with types, modes, 0:0 ownership and device numbers', () => {
    const archive = writeNewc(entries);
    const parsed = readNewc(archive);
    expect(parsed.map((e) => [e.path, e.mode.toString(8), e.uid, e.gid])).toEqual([
      ['bin', '40755', 0, 0],
      ['bin/busybox', '100755', 0, 0],
      ['bin/sh', '120777', 0, 0],
      ['dev', '40755', 0, 0],
      ['dev/console', '20600', 0, 0],
      ['init', '100755', 0, 0],
    ]);
    expect(parsed[2]?.data.toString()).toBe('/bin/busybox');
    expect([parsed[4]?.rdevMajor, parsed[4]?.rdevMinor]).toEqual([5, 1]);
    expect(parsed[5]?.data.toString()).toBe('#!/bin/sh\n');
  });

  it('aligns every header to 4 bytes and ends with the trailer', () => {
    const archive = writeNewc(entries);
    expect(archive.length % 4).toBe(0);
    expect(archive.includes(Buffer.from('TRAILER!!!\0'))).toBe(true);
    let count = 0;
    for (let at = archive.indexOf('070701'); at >= 0; at = archive.indexOf('070701', at + 6)) {
      expect(at % 4).toBe(0);
      count++;
    }
    expect(count).toBe(entries.length + 1);
  });

  it('is deterministic', () => {
    expect(writeNewc(entries).equals(writeNewc(entries))).toBe(true);
  });

  it('refuses paths that could escape the archive root', () => {
    expect(() => archivePath('../etc/passwd')).toThrow(/invalid cpio path/);
    expect(() => archivePath('a/../../b')).toThrow(/invalid cpio path/);
    expect(archivePath('/./bin//sh')).toBe('bin/sh');
  });

  it('rejects truncated or foreign data', () => {
    expect(() => readNewc(writeNewc(entries).subarray(0, 200))).toThrow();
    expect(() => readNewc(Buffer.alloc(200, 0x41))).toThrow(/bad cpio magic/);
  });
});
