import type { Command } from 'commander';
import { printJson } from '../../output.js';
import { progressPrinter } from '../../progress.js';
import { withClient } from './lifecycle.js';

/**
 * `banger vm fork SOURCE [--name N]`: a new VM restored from a running VM
 * (paused for a moment while it is captured) or from a snapshot, with its
 * own name, address, MAC and host key, and the source's memory, processes and disks.
 */
export function registerForkCommand(vm: Command): void {
  vm.command('fork')
    .description(
      'a new VM from a running VM or a snapshot: same memory, processes and disks; own name, address and host key',
    )
    .argument('<source>', 'a running VM (name, id or unique id prefix) or a snapshot name')
    .option('--name <name>', 'VM name (default: a generated adjective-animal)')
    .option('--nat', 'let the fork reach the outside world through the host')
    .option('--no-wait', 'return once the fork is restored, without waiting for SSH')
    .option('--json', 'print the new VM as JSON')
    .action((source: string, o: { name?: string; nat?: boolean; wait: boolean; json?: boolean }) =>
      withClient(async (client) => {
        const { vm: forked } = await client.forkVm(
          source,
          {
            ...(o.name !== undefined ? { name: o.name } : {}),
            ...(o.nat !== undefined ? { nat: o.nat } : {}),
            wait: o.wait,
          },
          o.json ? () => {} : progressPrinter(),
        );
        if (o.json) return printJson(forked);
        process.stdout.write(
          `forked ${forked.name} (${forked.id}) from ${source} at ${forked.guestIp} — ${forked.dnsName}\n`,
        );
      }),
    );
}
