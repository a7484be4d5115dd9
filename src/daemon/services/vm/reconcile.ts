import { adoptVm } from './adopt-vm.js';
import type { VmService } from './vm-service.js';

/**
 * The VM half of the reconcile at daemon start, before anything is served
 * (DESIGN §6); the network reconcile runs after it and keeps only the TAPs
 * and rules of VMs running now:
 *
 * 1. every VM whose create finished is adopted or recorded stopped (adopt-vm.ts);
 * 2. every other Firecracker of this user working in one of our VM dirs is
 *    killed: one a killed daemon spawned but never recorded, or the process
 *    of a VM that step 3 removes. Left running, it would hold a VM's disks
 *    while its TAP is reclaimed;
 * 3. VMs whose create never finished (the daemon died mid-create) are
 *    removed the way `vm delete` removes a VM: directory, trusted host key,
 *    record and with it the address. Finishing them instead would need the
 *    create's inputs, which only the dead request had.
 *
 * Returns what happened to each VM, by name, and the pids killed, for the log.
 */
export async function reconcileVms(svc: VmService): Promise<{
  outcomes: Record<string, string>;
  killed: number[];
}> {
  const { repo, driver, logger, vmsDir } = svc.deps;
  const creating = repo.creatingIds();
  const outcomes: Record<string, string> = {};
  for (const vm of repo.list()) {
    if (!creating.has(vm.id)) outcomes[vm.name] = await adoptVm(svc, vm);
  }
  const adopted = new Set([...svc.runtime.runningIds()].map((id) => svc.runtime.get(id)?.pid));
  const killed: number[] = [];
  for (const stray of await driver.findProcesses(vmsDir)) {
    if (adopted.has(stray.pid)) continue;
    try {
      await driver.kill(stray, 'SIGKILL');
      killed.push(stray.pid);
    } catch (err) {
      logger.warn({ pid: stray.pid, vmDir: stray.vmDir, err }, 'killing a stray firecracker failed');
    }
  }
  for (const id of creating) {
    const vm = repo.get(id);
    if (!vm) continue;
    try {
      await svc.delete(id);
      outcomes[vm.name] = 'unfinished create removed';
    } catch (err) {
      // Still marked creating: the next start tries again.
      logger.warn({ vmId: id, err }, 'removing an unfinished create failed');
      outcomes[vm.name] = 'unfinished create, removal failed';
    }
  }
  return { outcomes, killed };
}
