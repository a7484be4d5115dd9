import { describe, expect, it } from 'vitest';
import type { VmView } from '../../../api/vms.js';
import { VmChangeTracker } from './watch.js';

const vm = (over: Partial<VmView>): VmView => ({
  id: 'a1',
  name: 'web',
  state: 'running',
  image: 'golden',
  vcpu: 1,
  memoryMib: 512,
  diskBytes: 1,
  guestIp: '172.16.0.2',
  dnsName: 'web.vm',
  nat: false,
  createdAt: '2026-12-05T00:00:00.000Z',
  vmDir: '/x',
  ...over,
});
const now = new Date('2026-12-05T08:00:00.000Z');

describe('VmChangeTracker', () => {
  it('starts with a snapshot, then reports only changes, appearances and removals', () => {
    const t = new VmChangeTracker();
    const web = vm({ uptimeSeconds: 1 });
    expect(t.next([web], now)).toEqual([{ type: 'snapshot', at: now.toISOString(), vms: [web] }]);
    expect(t.next([{ ...web, uptimeSeconds: 2 }], now)).toEqual([]); // uptime alone is no change
    const stopped = vm({ state: 'stopped', lastError: 'guest rebooted' });
    const db = vm({ id: 'b2', name: 'db', state: 'creating' });
    expect(t.next([stopped, db], now)).toEqual([
      { type: 'vm', at: now.toISOString(), vm: stopped },
      { type: 'vm', at: now.toISOString(), vm: db },
    ]);
    expect(t.next([db], now)).toEqual([{ type: 'vm-removed', at: now.toISOString(), id: 'a1', name: 'web' }]);
  });

  it('tells a renamed VM apart from a removed one by id', () => {
    const t = new VmChangeTracker();
    t.next([vm({})], now);
    expect(t.next([vm({ name: 'api' })], now).map((e) => e.type)).toEqual(['vm']);
  });
});

describe('VmChangeTracker and readings that move on their own', () => {
  it('ignores the auto-stop time and the agent readings, but not whether the agent answers', () => {
    const t = new VmChangeTracker();
    const agent = { answering: true, checkedAt: '2026-12-05T08:00:00.000Z', uptimeSeconds: 5, load: [0] };
    t.next([vm({ autoStopAt: '2026-12-05T09:00:00.000Z', agent })], now);
    const moved = vm({
      autoStopAt: '2026-12-05T09:00:05.000Z',
      agent: { ...agent, checkedAt: '2026-12-05T08:00:05.000Z', uptimeSeconds: 10, load: [1] },
    });
    expect(t.next([moved], now)).toEqual([]);
    const silent = vm({ agent: { answering: false, checkedAt: '2026-12-05T08:00:10.000Z' } });
    expect(t.next([silent], now)).toEqual([{ type: 'vm', at: now.toISOString(), vm: silent }]);
  });
});
