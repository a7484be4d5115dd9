import type { Command } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import { printTable } from '../../output.js';
import { terminalSafeJson } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';
import { PORTS_HEADERS, portsTableRows } from './ports-table.js';

/**
 * After a session or command: a one-line reminder (stderr) that the VM keeps
 * running and holding memory. `showVm` asks the guest agent at that moment,
 * so a VM stopped from elsewhere meanwhile gets no reminder.
 */
export async function remindIfRunning(client: BangerClient, ref: string): Promise<void> {
  const { vm } = await client.showVm(ref).catch(() => ({ vm: undefined }));
  if (vm?.state === 'running') {
    process.stderr.write(
      `${vm.name} is still running; \`banger vm stop ${vm.name}\` stops it, \`banger vm delete ${vm.name}\` removes it\n`,
    );
  }
}

export function registerSshCommand(vm: Command): void {
  vm.command('ssh')
    .description('open a shell in a running VM, or run a command: banger vm ssh VM [-- CMD...]')
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('[cmd...]', "command to run in the guest (after --); its exit status becomes banger's")
    .action((ref: string, command: string[]) =>
      withClient(async (client) => {
        const info = await client.vmSsh(ref);
        const { runGuestSsh } = await import('../../../client/guest-ssh.js');
        const status = await runGuestSsh(info, { command });
        await remindIfRunning(client, ref);
        process.exitCode = status;
      }),
    );
}

export function registerPortsCommand(vm: Command): void {
  vm.command('ports')
    .description(
      'listening TCP/UDP ports in a running VM, their processes, and the <vm>.vm:port to reach each',
    )
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }) =>
      withClient(async (client) => {
        const { listGuestPorts } = await import('../../../client/guest-ssh.js');
        const ports = await listGuestPorts(await client.vmSsh(ref));
        // JSON.stringify escapes C0 controls but leaves DEL and C1 raw; same JSON value either way.
        if (opts.json) {
          process.stdout.write(`${terminalSafeJson(JSON.stringify(ports, null, 2))}\n`);
          return;
        }
        printTable(PORTS_HEADERS, portsTableRows(ports));
      }),
    );
}
