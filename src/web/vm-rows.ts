import type { DaemonEvent } from '../api/events.js';
import { applyVmEvent as applyVmListEvent } from '../api/vm-list.js';
import type { VmView } from '../api/vms.js';

/**
 * The VMs as the event stream describes them: the snapshot replaces all,
 * a `vm` event replaces or adds one, `vm-removed` drops one. Rows stay sorted
 * by name so a change never reorders the table. Each row keeps when it was
 * received, so the page can count uptime on without an event per second.
 */
export interface VmRow {
  vm: VmView;
  receivedAt: number;
}

export function applyVmEvent(rows: readonly VmRow[], event: DaemonEvent, now: number): VmRow[] {
  const receivedAt = new Map(rows.map((r) => [r.vm, r.receivedAt]));
  return applyVmListEvent(
    rows.map((r) => r.vm),
    event,
  ).map((vm) => ({ vm, receivedAt: receivedAt.get(vm) ?? now }));
}

/** The VM's uptime at `now`: what the daemon said, plus the time since it said it. */
export function uptimeAt(row: VmRow, now: number): number | undefined {
  if (row.vm.state !== 'running' || row.vm.uptimeSeconds === undefined) return undefined;
  return row.vm.uptimeSeconds + Math.max(0, now - row.receivedAt) / 1000;
}
