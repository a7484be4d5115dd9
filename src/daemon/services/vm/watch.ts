import type { DaemonEvent } from '../../../api/events.js';
import type { VmView } from '../../../api/vms.js';

/**
 * What identifies a change worth telling a UI: everything but what moves on
 * its own (uptime, the auto-stop time, the agent's readings); whether the
 * agent answers does count.
 */
function fingerprint(vm: VmView): string {
  const { uptimeSeconds: _uptime, autoStopAt: _autoStop, agent, ...rest } = vm;
  return JSON.stringify({ ...rest, agentAnswering: agent?.answering });
}

/**
 * Turns successive VM lists into events: the first call gives a snapshot,
 * later calls the VMs that appeared or changed and those that are gone.
 * Sampling the daemon's own view (store plus processes) catches every
 * source of change, including a VM exiting on its own and reconcile.
 */
export class VmChangeTracker {
  private seen: Map<string, { name: string; print: string }> | undefined;

  next(vms: readonly VmView[], now = new Date()): DaemonEvent[] {
    const at = now.toISOString();
    const current = new Map(vms.map((vm) => [vm.id, { name: vm.name, print: fingerprint(vm) }]));
    const previous = this.seen;
    this.seen = current;
    if (!previous) return [{ type: 'snapshot', at, vms: [...vms] }];
    const events: DaemonEvent[] = [];
    for (const vm of vms) {
      if (previous.get(vm.id)?.print !== current.get(vm.id)?.print) events.push({ type: 'vm', at, vm });
    }
    for (const [id, { name }] of previous) {
      if (!current.has(id)) events.push({ type: 'vm-removed', at, id, name });
    }
    return events;
  }
}
