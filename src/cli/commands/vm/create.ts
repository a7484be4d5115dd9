import type { Command } from 'commander';
import { integerArg } from '../../args.js';
import { printJson } from '../../output.js';
import { progressPrinter } from '../../progress.js';
import { withClient } from './lifecycle.js';

export interface CreateFlags {
  name?: string;
  image?: string;
  vcpu?: number;
  memory?: number;
  diskSize?: string;
  nat?: boolean;
}

/** The sizing and naming flags shared by `vm create` and `vm run`. */
export function addCreateFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'VM name (default: a generated adjective-animal)')
    .option('--image <image>', 'image to boot (default: default_image_name, built or pulled on first use)')
    .option('--vcpu <n>', 'vCPUs (1-32)', integerArg)
    .option('--memory <mib>', 'memory in MiB', integerArg)
    .option('--disk-size <size>', 'size of the /root work disk, e.g. 16G')
    .option('--nat', 'let the guest reach the outside world through the host')
    .option('--no-nat', 'guest reaches only the host (default)');
}

export function createRequest(flags: CreateFlags) {
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(flags.vcpu !== undefined ? { vcpu: flags.vcpu } : {}),
    ...(flags.memory !== undefined ? { memoryMib: flags.memory } : {}),
    ...(flags.diskSize !== undefined ? { diskSize: flags.diskSize } : {}),
    ...(flags.nat !== undefined ? { nat: flags.nat } : {}),
  };
}

export function registerCreateCommand(vm: Command): void {
  addCreateFlags(vm.command('create').description('create a VM and start it (waits until SSH answers)'))
    .option('--no-start', 'create the VM stopped')
    .option('--no-wait', 'return once the VM is booting, without waiting for SSH')
    .option('--json', 'print the created VM as JSON')
    .action((flags: CreateFlags & { start: boolean; wait: boolean; json?: boolean }) =>
      withClient(async (client) => {
        const { vm: created } = await client.createVm(
          { ...createRequest(flags), start: flags.start, wait: flags.wait },
          progressPrinter(),
        );
        if (flags.json) return printJson(created);
        process.stdout.write(
          `created ${created.name} (${created.id}) ${created.state} at ${created.guestIp} — ${created.dnsName}\n`,
        );
      }),
    );
}
