import type { VmRecord } from '../../../domain/vm.js';
import type { VmService } from './vm-service.js';

/**
 * Daemon start, per VM (DESIGN §6): reads the VM's handles.json and checks
 * that its process is really that Firecracker (pid, start time, command
 * line, API socket). A live one is adopted, a hung one too (it is still that
 * VM's, and `vm stop`/`vm kill` must be able to end it); for a dead one the
 * scratch file is dropped and the VM recorded stopped. Its TAP and rules are
 * released by the network reconcile that runs next, which keeps only adopted VMs'.
 */
export async function adoptVm(svc: VmService, vm: VmRecord): Promise<'adopted' | 'released' | 'stopped'> {
  const { repo, driver, logger } = svc.deps;
  const dir = svc.vmDir(vm.id);
  const scratch = svc.runtime.readScratch(dir);
  if (!scratch) {
    if (vm.desiredState === 'running') repo.setDesiredState(vm.id, 'stopped', 'daemon restarted');
    return 'stopped';
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
