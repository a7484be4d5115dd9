import { describe, expect, it } from 'vitest';
import type { VmView } from '../api/vms.js';
import {
  applyEvent,
  moveSelection,
  selectByName,
  selectedVm,
  type VmListState,
  visibleWindow,
} from './vm-list.js';

const vm = (name: string, state: VmView['state'] = 'running'): VmView => ({
  id: `id-${name}`,
  name,
  state,
  image: 'img',
  vcpu: 1,
  memoryMib: 256,
  diskBytes: 1024 ** 3,
  guestIp: '172.16.0.2',
  dnsName: `${name}.vm`,
  nat: false,
  createdAt: '2025-01-01T00:00:00Z',
  vmDir: `/state/vms/id-${name}`,
});
const at = '2025-01-01T00:00:00Z';
const snapshot = (...vms: VmView[]) => ({ type: 'snapshot' as const, at, vms });
const names = (s: VmListState) => s.vms.map((v) => v.name);

describe('applyEvent', () => {
  it('a snapshot replaces the rows, sorted by name, and selects the first when nothing was selected', () => {
    const s = applyEvent({ vms: [vm('old')], selectedId: undefined }, snapshot(vm('b'), vm('a')));
    expect(names(s)).toEqual(['a', 'b']);
    expect(s.selectedId).toBe('id-a');
  });

  it('keeps the selection on the same VM when rows come and go around it', () => {
    let s = applyEvent({ vms: [], selectedId: undefined }, snapshot(vm('b'), vm('c')));
    s = moveSelection(s, 1);
    expect(selectedVm(s)?.name).toBe('c');
    s = applyEvent(s, { type: 'vm', at, vm: vm('a') });
    expect(names(s)).toEqual(['a', 'b', 'c']);
    expect(selectedVm(s)?.name).toBe('c');
  });

  it('a vm event replaces the row of the same id in place', () => {
    let s = applyEvent({ vms: [], selectedId: undefined }, snapshot(vm('a'), vm('b')));
    s = applyEvent(s, { type: 'vm', at, vm: vm('a', 'stopped') });
    expect(s.vms.map((v) => `${v.name}:${v.state}`)).toEqual(['a:stopped', 'b:running']);
  });

  it('when the selected VM is removed, the row that takes its place is selected', () => {
    let s = applyEvent({ vms: [], selectedId: undefined }, snapshot(vm('a'), vm('b'), vm('c')));
    s = moveSelection(s, 1);
    s = applyEvent(s, { type: 'vm-removed', at, id: 'id-b', name: 'b' });
    expect(names(s)).toEqual(['a', 'c']);
    expect(selectedVm(s)?.name).toBe('c');
    s = applyEvent(s, { type: 'vm-removed', at, id: 'id-c', name: 'c' });
    expect(selectedVm(s)?.name).toBe('a');
    s = applyEvent(s, { type: 'vm-removed', at, id: 'id-a', name: 'a' });
    expect(s).toEqual({ vms: [], selectedId: undefined });
  });

  it('a selection given before the snapshot (coming back from ssh) is kept', () => {
    const s = applyEvent({ vms: [], selectedId: 'id-b' }, snapshot(vm('a'), vm('b')));
    expect(s.selectedId).toBe('id-b');
  });
});

describe('selection', () => {
  const s = applyEvent({ vms: [], selectedId: undefined }, snapshot(vm('a'), vm('b'), vm('c')));

  it('moves and stops at either end', () => {
    expect(selectedVm(moveSelection(s, 1))?.name).toBe('b');
    expect(selectedVm(moveSelection(s, -1))?.name).toBe('a');
    expect(selectedVm(moveSelection(s, 10))?.name).toBe('c');
    expect(moveSelection({ vms: [], selectedId: undefined }, 1)).toEqual({ vms: [], selectedId: undefined });
  });

  it('selects by name only a listed VM', () => {
    expect(selectedVm(selectByName(s, 'c'))?.name).toBe('c');
    expect(selectByName(s, 'zz')).toBe(s);
  });
});

describe('visibleWindow', () => {
  it('shows everything when it fits', () => {
    expect(visibleWindow(3, 2, 5, 0)).toEqual({ top: 0, end: 3 });
  });
  it('scrolls just enough to keep the selection visible, both ways', () => {
    expect(visibleWindow(10, 4, 3, 0)).toEqual({ top: 2, end: 5 });
    expect(visibleWindow(10, 3, 3, 2)).toEqual({ top: 2, end: 5 });
    expect(visibleWindow(10, 1, 3, 2)).toEqual({ top: 1, end: 4 });
  });
  it('does not leave empty rows at the bottom after rows went away', () => {
    expect(visibleWindow(4, 3, 3, 5)).toEqual({ top: 1, end: 4 });
  });
  it('draws nothing without room', () => {
    expect(visibleWindow(4, 0, 0, 0)).toEqual({ top: 0, end: 0 });
  });
});
