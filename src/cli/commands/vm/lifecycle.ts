import type { Command } from 'commander';
import { connect } from '../../../api/autostart.js';
import type { BangerClient } from '../../../api/client.js';
import { progressPrinter } from '../../progress.js';
import { forEachRef } from './many.js';

async function withClient<T>(fn: (client: BangerClient) => Promise<T>): Promise<T> {
  const { client } = await connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** start, stop, restart, kill, delete: each takes several refs and acts on them concurrently. */
export function registerLifecycleCommands(vm: Command): void {
  vm.command('start')
    .description('start stopped VMs and wait until SSH answers')
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .option('--no-wait', 'return once the VM is booting, without waiting for SSH')
    .action((refs: string[], opts: { wait: boolean }) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) =>
            client.startVm(ref, { wait: opts.wait }, progressPrinter(refs.length > 1 ? `${ref}: ` : '')),
          (_ref, { vm }) => process.stdout.write(`started ${vm.name} (${vm.guestIp})\n`),
        ),
      ),
    );

  vm.command('stop')
    .description('stop VMs gracefully (Ctrl-Alt-Del, then SIGTERM, then SIGKILL)')
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .action((refs: string[]) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) => client.stopVm(ref),
          (_ref, { vm }) => process.stdout.write(`stopped ${vm.name}\n`),
        ),
      ),
    );

  vm.command('restart')
    .description('stop, then start VMs')
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .option('--no-wait', 'return once the VM is booting, without waiting for SSH')
    .action((refs: string[], opts: { wait: boolean }) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) =>
            client.restartVm(ref, { wait: opts.wait }, progressPrinter(refs.length > 1 ? `${ref}: ` : '')),
          (_ref, { vm }) => process.stdout.write(`restarted ${vm.name} (${vm.guestIp})\n`),
        ),
      ),
    );

  vm.command('kill')
    .description("send a signal to VMs' Firecracker processes (default KILL)")
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .option('-s, --signal <signal>', 'signal name, e.g. TERM or KILL', 'KILL')
    .action((refs: string[], opts: { signal: string }) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) => client.killVm(ref, opts.signal),
          (_ref, { vm }) => process.stdout.write(`signalled ${vm.name} (${vm.state})\n`),
        ),
      ),
    );

  vm.command('delete')
    .alias('rm')
    .description('stop and delete VMs: disks, directory, TAP, NAT rules, DNS name and address')
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .action((refs: string[]) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) => client.deleteVm(ref),
          (_ref, vm) => process.stdout.write(`deleted ${vm.name}\n`),
        ),
      ),
    );
}

export { withClient };
