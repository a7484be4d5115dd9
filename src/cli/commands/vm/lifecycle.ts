import type { Command } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import { connect } from '../../../client/autostart.js';
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

type BootCall = BangerClient['startVm'];

/** `start` and `restart`: several refs booted concurrently, progress prefixed by the ref when there are several. */
function registerBootCommand(
  vm: Command,
  name: string,
  description: string,
  done: string,
  call: (client: BangerClient) => BootCall,
): void {
  vm.command(name)
    .description(description)
    .argument('<vm...>', 'VM names, ids or unique id prefixes')
    .option('--no-wait', 'return once the VM is booting, without waiting for SSH')
    .action((refs: string[], opts: { wait: boolean }) =>
      withClient((client) =>
        forEachRef(
          refs,
          (ref) => call(client)(ref, { wait: opts.wait }, progressPrinter(refs.length > 1 ? `${ref}: ` : '')),
          (_ref, { vm: v }) => process.stdout.write(`${done} ${v.name} (${v.guestIp})\n`),
        ),
      ),
    );
}

/** start, stop, restart, kill, delete: each takes several refs and acts on them concurrently. */
export function registerLifecycleCommands(vm: Command): void {
  registerBootCommand(vm, 'start', 'start stopped VMs and wait until SSH answers', 'started', (c) =>
    c.startVm.bind(c),
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

  registerBootCommand(vm, 'restart', 'stop, then start VMs', 'restarted', (c) => c.restartVm.bind(c));

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
