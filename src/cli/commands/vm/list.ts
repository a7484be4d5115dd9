import type { VmView } from '../../../api/vms.js';
import { formatSize } from '../../../domain/size.js';
import { formatDuration, printJson, printTable } from '../../output.js';
import { withClient } from './lifecycle.js';

/** How long the VM has been up, or `-` when it is not running. */
export function uptime(vm: VmView): string {
  return vm.uptimeSeconds === undefined ? '-' : formatDuration(vm.uptimeSeconds);
}

/**
 * `banger vm list`: the action of the commander command and of the fast path
 * (see fast-path.ts), so both print the same.
 */
export function listVms(opts: { json?: boolean; all?: boolean }): Promise<void> {
  return withClient(async (client) => {
    const { vms } = await client.listVms(opts.all ? { all: true } : {});
    if (opts.json) return printJson(vms);
    if (vms.length === 0) {
      process.stdout.write('no VMs; create one with `banger vm run` or `banger vm create`\n');
      return;
    }
    printTable(
      ['name', 'id', 'state', 'ip', 'image', 'vcpu', 'mem', 'disk', 'uptime'],
      vms.map((v) => [
        v.name,
        v.id.slice(0, 8),
        v.state,
        v.guestIp,
        v.image,
        String(v.vcpu),
        `${v.memoryMib}M`,
        formatSize(v.diskBytes),
        uptime(v),
      ]),
    );
  });
}
