import { describe, expect, it } from 'vitest';
import type { VmView } from '../api/vms.js';
import { headerCells, uptimeAt, vmCells } from './table-layout.js';

const vm: VmView = {
  id: 'abc',
  name: 'a-rather-long-vm-name-for-the-table',
  state: 'running',
  image: 'debian-bookworm',
  vcpu: 2,
  memoryMib: 1024,
  diskBytes: 8 * 1024 ** 3,
  guestIp: '172.16.0.23',
  dnsName: 'x.vm',
  nat: false,
  createdAt: '2025-01-01T00:00:00Z',
  startedAt: '2025-01-01T00:00:00.000Z',
  uptimeSeconds: 5,
  vmDir: '/x',
};
/** 125 s after the VM started: the row shows 2m whatever uptime the last event carried. */
const NOW = Date.parse('2025-01-01T00:02:05Z');

describe('table layout', () => {
  it('fills exactly the width of an 80-column terminal, and a wider one', () => {
    for (const width of [80, 100, 132]) {
      expect(headerCells(width).join(' ')).toHaveLength(width);
      expect(vmCells(vm, undefined, width, NOW).join(' ')).toHaveLength(width);
    }
  });

  it('shows the columns the brief names, cutting what does not fit', () => {
    const cells = vmCells(vm, { cpuPercent: 12.5, rssBytes: 200 * 1024 ** 2 }, 80, NOW).map((c) => c.trim());
    expect(cells).toEqual([
      'a-rather-lon…',
      'running',
      '172.16.0.23',
      'debian-b…',
      '2/1G/8G',
      '2m',
      '13%',
      '200M',
    ]);
    expect(headerCells(80).map((c) => c.trim())).toEqual([
      'NAME',
      'STATE',
      'IP',
      'IMAGE',
      'CPU/MEM/DISK',
      'UP',
      'CPU',
      'RSS',
    ]);
  });

  it('a stopped VM has no uptime or usage', () => {
    const cells = vmCells({ ...vm, state: 'stopped' }, undefined, 100, NOW).map((c) => c.trim());
    expect(cells.slice(5)).toEqual(['-', '-', '-']);
  });

  it('makes control characters in names harmless', () => {
    expect(vmCells({ ...vm, image: 'a\x1b[2Jb' }, undefined, 100, NOW)[3]?.trim()).toBe('ab');
  });
});

describe('uptimeAt', () => {
  it('counts from startedAt, not from the uptime of the last event', () => {
    expect(uptimeAt(vm, NOW)).toBe(125);
    expect(uptimeAt(vm, NOW + 60_000)).toBe(185);
  });
  it('falls back to the event’s uptime without a start time, and is undefined when not running', () => {
    expect(uptimeAt({ ...vm, startedAt: undefined }, NOW)).toBe(5);
    expect(uptimeAt({ ...vm, startedAt: 'garbage' }, NOW)).toBe(5);
    expect(uptimeAt({ ...vm, state: 'stopped' }, NOW)).toBeUndefined();
    expect(uptimeAt({ ...vm, startedAt: '2025-01-01T00:02:06Z' }, NOW)).toBe(0); // clocks a little apart
  });
});
