import type { VmStateView, VmView } from '../../../api/vms.js';
import type { VmRecord } from '../../../domain/vm.js';
import type { VmHandles } from '../../../host/vm/handles-file.js';

/** The API view of a VM: its record, what runs now, and any operation in flight. */
export function toVmView(
  vm: VmRecord,
  vmDir: string,
  handles: VmHandles | undefined,
  inFlight: VmStateView | undefined,
  now = Date.now(),
): VmView {
  const state: VmStateView = inFlight ?? (handles ? 'running' : 'stopped');
  const running = handles
    ? {
        startedAt: handles.startedAt,
        uptimeSeconds: Math.max(0, Math.round((now - Date.parse(handles.startedAt)) / 1000)),
        pid: handles.pid,
        tap: handles.tap,
      }
    : {};
  return {
    id: vm.id,
    name: vm.name,
    state,
    image: vm.image,
    vcpu: vm.vcpu,
    memoryMib: vm.memoryMib,
    diskBytes: vm.diskBytes,
    guestIp: vm.guestIp,
    dnsName: `${vm.name}.vm`,
    nat: vm.nat,
    createdAt: vm.createdAt,
    ...running,
    vmDir,
    ...(vm.lastError ? { lastError: vm.lastError } : {}),
  };
}
