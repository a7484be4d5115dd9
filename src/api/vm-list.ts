import type { DaemonEvent } from './events.js';
import type { VmView } from './vms.js';

/**
 * The VM list after one event of `GET /v1/events`: the snapshot replaces
 * everything, a `vm` event replaces or adds one VM, `vm-removed` drops one.
 * Sorted by name, so a change never reorders a table. A VM the event did not
 * touch keeps its object, so a UI can tell which rows changed.
 */
export function applyVmEvent(vms: readonly VmView[], event: DaemonEvent): VmView[] {
  switch (event.type) {
    case 'snapshot':
      return [...event.vms].sort(byName);
    case 'vm':
      return [...vms.filter((vm) => vm.id !== event.vm.id), event.vm].sort(byName);
    case 'vm-removed':
      return vms.filter((vm) => vm.id !== event.id);
  }
}

const byName = (a: VmView, b: VmView) => a.name.localeCompare(b.name);
