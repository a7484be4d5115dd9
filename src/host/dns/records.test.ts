import { describe, expect, it } from 'vitest';
import { VmRecordTable } from './records.js';

describe('VmRecordTable', () => {
  it('is case-insensitive and supports set, rename, delete and replaceAll', () => {
    const table = new VmRecordTable([['Box', '172.16.0.2']]);
    expect(table.lookup('box')).toBe('172.16.0.2');
    expect(table.lookup('BOX')).toBe('172.16.0.2');
    table.set('other', '172.16.0.3');
    table.rename('BOX', 'Crate');
    expect(table.lookup('box')).toBeUndefined();
    expect(table.entries()).toEqual([
      ['crate', '172.16.0.2'],
      ['other', '172.16.0.3'],
    ]);
    expect(table.delete('OTHER')).toBe(true);
    expect(table.delete('other')).toBe(false);
    table.replaceAll([['fresh', '10.0.0.1']]);
    expect(table.entries()).toEqual([['fresh', '10.0.0.1']]);
    expect(table.size).toBe(1);
  });

  it('rejects non-IPv4 values without changing anything', () => {
    const table = new VmRecordTable([['box', '172.16.0.2']]);
    expect(() => table.set('box', '::1')).toThrow(/not an IPv4 address/);
    expect(() =>
      table.replaceAll([
        ['a', '10.0.0.1'],
        ['b', '300.0.0.1'],
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(table.entries()).toEqual([['box', '172.16.0.2']]);
    expect(() => table.rename('ghost', 'x')).toThrow(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('VmRecordTable edges', () => {
  it('starts empty and stores names lower-cased', () => {
    const table = new VmRecordTable();
    expect(table.size).toBe(0);
    expect(table.entries()).toEqual([]);
    table.set('MiXeD', '10.0.0.9');
    expect(table.entries()).toEqual([['mixed', '10.0.0.9']]);
    expect(table.lookup('mIxEd')).toBe('10.0.0.9');
    table.set('MIXED', '10.0.0.10');
    expect(table.entries()).toEqual([['mixed', '10.0.0.10']]);
  });

  it('renames across case and to the same name without losing the record', () => {
    const table = new VmRecordTable([['box', '10.0.0.2']]);
    table.rename('box', 'BOX');
    expect(table.entries()).toEqual([['box', '10.0.0.2']]);
    table.rename('Box', 'Crate');
    expect(table.lookup('crate')).toBe('10.0.0.2');
    expect(table.size).toBe(1);
  });

  it('names the record and the value it refuses', () => {
    const table = new VmRecordTable();
    expect(() => table.set('box', '10.0.0.256')).toThrow(
      'DNS record for "box": "10.0.0.256" is not an IPv4 address',
    );
    expect(() => table.replaceAll([['crate', '']])).toThrow(
      'DNS record for "crate": "" is not an IPv4 address',
    );
    expect(() => new VmRecordTable([['x', 'example.com']])).toThrow(/"x": "example.com" is not an IPv4/);
    expect(() => table.rename('Ghost', 'x')).toThrow('no DNS record for "Ghost" to rename');
    expect(table.size).toBe(0);
  });

  it('replaceAll drops the old records and lower-cases the new; entries come sorted by name', () => {
    const table = new VmRecordTable([['old', '10.0.0.1']]);
    table.replaceAll([
      ['Zed', '10.0.0.4'],
      ['alpha', '10.0.0.2'],
      ['Mid', '10.0.0.3'],
    ]);
    expect(table.lookup('old')).toBeUndefined();
    expect(table.entries()).toEqual([
      ['alpha', '10.0.0.2'],
      ['mid', '10.0.0.3'],
      ['zed', '10.0.0.4'],
    ]);
  });
});
