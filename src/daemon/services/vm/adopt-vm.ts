import type { VmRecord } from '../../../domain/vm.js';
import type { VmService } from './vm-service.js';

export type AdoptOutcome = 'adopted' | 'released' | 'stopped' | 'abandoned';

/**
 * Daemon start, per VM (DESIGN §6): reads the VM's handles.json and checks
 * that its process is really that Firecracker (pid, start time, command
 * line, API socket). A live one is adopted, a hung one too (it is still that
 * VM's, and `vm stop`/`vm kill` must be able to end it); for a dead one the
 * scratch file is dropped and the VM recorded stopped. A handles.json still
 * marked `launching` means the previous daemon died before its launch was
 * acknowledged (maybe half-configured): that process is killed, never
 * adopted. TAP and rules of VMs not adopted are released by the network
 * reconcile that runs next, which keeps only adopted VMs'.
 */
export async function adoptVm(svc: VmService, vm: VmRecord): Promise<AdoptOutcome> {
  const { repo, driver, logger } = svc.deps;
  const dir = svc.vmDir(vm.id);
  const scratch = svc.runtime.readScratch(dir);
  if (!scratch) {
    if (vm.desiredState === 'running') repo.setDesiredState(vm.id, 'stopped', 'daemon restarted');
    return 'stopped';
  }
  if (scratch.launching) {
    await driver
      .kill({ ...scratch, vmDir: dir }, 'SIGKILL')
      .catch((err: unknown) =>
        logger.warn({ vmId: vm.id, err }, 'killing a half-launched firecracker failed'),
      );
    svc.runtime.forget(vm.id, dir);
    repo.setDesiredState(vm.id, 'stopped', 'the daemon stopped while the VM was starting');
    return 'abandoned';
  }
  const presence = await driver.inspect({ ...scratch, vmDir: dir });
  if (presence !== 'gone') {
    if (presence === 'unresponsive') logger.warn({ vmId: vm.id }, 'adopted an unresponsive firecracker');
    svc.runtime.track(vm.id, dir, scratch);
    return 'adopted';
  }
  svc.runtime.forget(vm.id, dir);
  repo.setDesiredState(vm.id, 'stopped', 'Firecracker exited while the daemon was down');
  return 'released';
}
