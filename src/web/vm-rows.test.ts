import { describe, expect, it } from 'vitest';
import type { VmView } from '../api/vms.js';
import { applyVmEvent, uptimeAt } from './vm-rows.js';

const vm = (name: string, extra: Partial<VmView> = {}): VmView => ({
  id: `id-${name}`,
  name,
  state: 'stopped',
  image: 'img',
  vcpu: 1,
  memoryMib: 256,
  diskBytes: 256 * 1024 ** 2,
  guestIp: '172.16.0.2',
  dnsName: `${name}.vm`,
  nat: false,
  createdAt: '2026-01-01T00:00:00Z',
  vmDir: `/vms/${name}`,
  ...extra,
});

describe('applyVmEvent', () => {
  it('replaces everything with a snapshot, sorted by name', () => {
    const rows = applyVmEvent([], { type: 'snapshot', at: '', vms: [vm('b'), vm('a')] }, 5);
    expect(rows.map((r) => [r.vm.name, r.receivedAt])).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
  });

  it('replaces a changed VM in place, adds a new one in name order, and drops a removed one', () => {
    let rows = applyVmEvent([], { type: 'snapshot', at: '', vms: [vm('a'), vm('c')] }, 0);
    rows = applyVmEvent(rows, { type: 'vm', at: '', vm: vm('c', { state: 'running' }) }, 1);
    rows = applyVmEvent(rows, { type: 'vm', at: '', vm: vm('b') }, 2);
    expect(rows.map((r) => `${r.vm.name}:${r.vm.state}:${r.receivedAt}`)).toEqual([
      'a:stopped:0',
      'b:stopped:2',
      'c:running:1',
    ]);
    rows = applyVmEvent(rows, { type: 'vm-removed', at: '', id: 'id-b', name: 'b' }, 3);
    expect(rows.map((r) => r.vm.name)).toEqual(['a', 'c']);
  });
});

describe('uptimeAt', () => {
  it('counts on from what the daemon said, only while running', () => {
    const running = { vm: vm('a', { state: 'running', uptimeSeconds: 10 }), receivedAt: 1000 };
    expect(uptimeAt(running, 4000)).toBe(13);
    expect(uptimeAt({ vm: vm('a'), receivedAt: 1000 }, 4000)).toBeUndefined();
  });
});
