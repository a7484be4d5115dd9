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
