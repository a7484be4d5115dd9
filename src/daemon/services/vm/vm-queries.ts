import { join } from 'node:path';
import type { VmSshInfo, VmStatsView } from '../../../api/vms.js';
import { AppError } from '../../../domain/errors.js';
import type { ProcessHandle } from './ports.js';
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
  const proc = handle && (await statsWithMetrics(svc, vm.id, handle));
  const cpuPercent = svc.activity.sample(vm.id)?.cpuPercent;
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
            ...(cpuPercent !== undefined ? { cpuPercent: Math.round(cpuPercent * 10) / 10 } : {}),
            uptimeSeconds: view.uptimeSeconds ?? 0,
          },
          ...(proc.metrics ? { metrics: proc.metrics } : {}),
        }
      : {}),
    disks,
  };
}

/** The process numbers now, and Firecracker's metrics at most once per metrics_poll_interval (else the cached line). */
async function statsWithMetrics(svc: VmService, id: string, handle: ProcessHandle) {
  const now = Date.now();
  const cached = svc.metricsCache.get(id);
  const fresh =
    cached !== undefined &&
    cached.pid === handle.pid &&
    now - cached.at < svc.deps.config.metricsPollIntervalMs;
  const stats = await svc.deps.driver.stats(handle, { metrics: !fresh }).catch(() => undefined);
  if (!stats || !fresh) {
    if (stats)
      svc.metricsCache.set(id, {
        pid: handle.pid,
        at: now,
        ...(stats.metrics ? { metrics: stats.metrics } : {}),
      });
    return stats;
  }
  return { ...stats, ...(cached.metrics ? { metrics: cached.metrics } : {}) };
}
