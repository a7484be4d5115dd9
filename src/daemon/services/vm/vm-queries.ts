import { join } from 'node:path';
import type { VmSshInfo, VmStatsView } from '../../../api/vms.js';
import { AppError } from '../../../domain/errors.js';
import type { VmService } from './vm-service.js';

/** How a UI reaches the running guest over SSH: address, banger's key and known_hosts, the host-key alias. */
export async function vmSshInfo(svc: VmService, ref: string): Promise<VmSshInfo> {
  const vm = svc.deps.repo.resolve(ref);
  if (!svc.runtime.get(vm.id)) {
    throw new AppError(
      'conflict',
      `VM ${vm.name} is not running; start it with \`banger vm start ${vm.name}\``,
    );
  }
  const key = await svc.deps.identity.clientKey();
  return {
    id: vm.id,
    name: vm.name,
    guestIp: vm.guestIp,
    user: 'root',
    keyPath: key.privateKeyPath,
    knownHostsPath: svc.deps.identity.knownHostsFile,
    hostKeyAlias: vm.id,
  };
}

/** Host-side numbers: the Firecracker process (while running), the disks, Firecracker's metrics. */
export async function vmStats(svc: VmService, ref: string): Promise<VmStatsView> {
  const vm = svc.deps.repo.resolve(ref);
  const dir = svc.vmDir(vm.id);
  const disks = [];
  for (const name of ['system.ext4', 'work.ext4']) {
    const path = join(dir, name);
    const usage = await svc.deps.disks.usage(path).catch(() => undefined);
    if (usage) disks.push({ name, path, ...usage });
  }
  const handle = svc.runtime.processHandle(vm.id);
  const proc = handle && (await svc.deps.driver.stats(handle).catch(() => undefined));
  const view = svc.view(vm);
  return {
    id: vm.id,
    name: vm.name,
    state: view.state,
    ...(proc && handle
      ? {
          process: {
            pid: handle.pid,
            rssBytes: proc.rssBytes,
            cpuSeconds: proc.cpuSeconds,
            uptimeSeconds: view.uptimeSeconds ?? 0,
          },
          ...(proc.metrics ? { metrics: proc.metrics } : {}),
        }
      : {}),
    disks,
  };
}
