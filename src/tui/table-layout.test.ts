import { describe, expect, it } from 'vitest';
import type { VmView } from '../api/vms.js';
import { headerCells, vmCells } from './table-layout.js';

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
  uptimeSeconds: 125,
  vmDir: '/x',
};

describe('table layout', () => {
  it('fills exactly the width of an 80-column terminal, and a wider one', () => {
    for (const width of [80, 100, 132]) {
      expect(headerCells(width).join(' ')).toHaveLength(width);
      expect(vmCells(vm, undefined, width).join(' ')).toHaveLength(width);
    }
  });

  it('shows the columns the brief names, cutting what does not fit', () => {
    const cells = vmCells(vm, { cpuPercent: 12.5, rssBytes: 200 * 1024 ** 2 }, 80).map((c) => c.trim());
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
    const cells = vmCells({ ...vm, state: 'stopped' }, undefined, 100).map((c) => c.trim());
    expect(cells.slice(5)).toEqual(['-', '-', '-']);
  });

  it('makes control characters in names harmless', () => {
    expect(vmCells({ ...vm, image: 'a\x1b[2Jb' }, undefined, 100)[3]?.trim()).toBe('ab');
  });
});
