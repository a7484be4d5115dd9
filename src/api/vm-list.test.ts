import { describe, expect, it } from 'vitest';
import { applyVmEvent } from './vm-list.js';
import type { VmView } from './vms.js';

const vm = (name: string, state: VmView['state'] = 'running'): VmView =>
  ({ id: `id-${name}`, name, state }) as VmView;

describe('applyVmEvent', () => {
  it('replaces all on a snapshot, replaces or adds on a vm event, drops on vm-removed, sorted by name', () => {
    let vms = applyVmEvent([], { type: 'snapshot', at: '', vms: [vm('b'), vm('a')] });
    expect(vms.map((v) => v.name)).toEqual(['a', 'b']);
    const a = vms[0];
    vms = applyVmEvent(vms, { type: 'vm', at: '', vm: vm('b', 'stopped') });
    expect(vms.map((v) => `${v.name}:${v.state}`)).toEqual(['a:running', 'b:stopped']);
    // An untouched VM keeps its object: UIs use that to tell which rows changed.
    expect(vms[0]).toBe(a);
    vms = applyVmEvent(vms, { type: 'vm', at: '', vm: vm('0new') });
    expect(vms.map((v) => v.name)).toEqual(['0new', 'a', 'b']);
    vms = applyVmEvent(vms, { type: 'vm-removed', at: '', id: 'id-a', name: 'a' });
    expect(vms.map((v) => v.name)).toEqual(['0new', 'b']);
  });
});
