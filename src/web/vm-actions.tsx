import type { VmView } from '../api/vms.js';
import { api } from './api.js';
import { useConfirm } from './confirm-dialog.js';
import { OperationView } from './operation-view.js';
import { useOperation } from './use-operation.js';

/**
 * What can be done to one VM: start, stop, restart, delete (after a
 * confirmation) and NAT on or off. Buttons that cannot apply in the VM's
 * current state are disabled; the daemon still has the last word, and its
 * refusal shows as one line. Start and restart stream their stages.
 */
export function VmActions({ vm, onDeleted }: { vm: VmView; onDeleted: () => void }) {
  const { op, run, running } = useOperation();
  const { ask, dialog } = useConfirm();
  const idle = !running && (vm.state === 'running' || vm.state === 'stopped');

  const start = () =>
    run(
      `Starting ${vm.name}`,
      ({ onStage, signal }) => api.startVm(vm.name, onStage, signal),
      () => `started ${vm.name}`,
      { cancellable: true },
    );
  const restart = () =>
    run(
      `Restarting ${vm.name}`,
      ({ onStage, signal }) => api.restartVm(vm.name, onStage, signal),
      () => `restarted ${vm.name}`,
      { cancellable: true },
    );
  const stop = () =>
    run(
      `Stopping ${vm.name}`,
      () => api.stopVm(vm.name),
      () => `stopped ${vm.name}`,
    );
  const remove = async () => {
    const ok = await ask({
      title: `Delete VM ${vm.name}?`,
      body: 'It is stopped first, then its disks, address and DNS name are removed. This cannot be undone.',
      action: 'Delete',
    });
    if (!ok) return;
    const deleted = await run(
      `Deleting ${vm.name}`,
      () => api.deleteVm(vm.name),
      (r) => `deleted ${r.name}`,
    );
    if (deleted) onDeleted();
  };
  const setNat = (nat: boolean) =>
    run(
      `${nat ? 'Enabling' : 'Disabling'} NAT for ${vm.name}`,
      () => api.setVm(vm.name, { nat }),
      (r) => `NAT ${r.vm.nat ? 'on' : 'off'} for ${vm.name}`,
    );

  return (
    <section aria-label="Actions">
      <div class="toolbar">
        <button type="button" onClick={start} disabled={!idle || vm.state !== 'stopped'}>
          Start
        </button>
        <button type="button" onClick={stop} disabled={!idle || vm.state !== 'running'}>
          Stop
        </button>
        <button type="button" onClick={restart} disabled={!idle || vm.state !== 'running'}>
          Restart
        </button>
        <button type="button" class="danger" onClick={remove} disabled={running}>
          Delete…
        </button>
        <label class="toggle">
          <input
            type="checkbox"
            checked={vm.nat}
            disabled={running}
            onChange={(e) => void setNat(e.currentTarget.checked)}
          />
          NAT (outbound internet)
        </label>
      </div>
      <OperationView op={op} label="Progress of the last action" />
      {dialog}
    </section>
  );
}
