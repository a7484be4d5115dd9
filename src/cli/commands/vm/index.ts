import type { Command } from 'commander';
import { connect } from '../../../api/autostart.js';
import { AppError } from '../../../domain/errors.js';
import { registerCreateCommand } from './create.js';
import { registerInspectCommands } from './inspect.js';
import { registerLifecycleCommands } from './lifecycle.js';
import { registerSshCommand } from './ssh.js';

export function registerVmCommands(program: Command): void {
  const vm = program.command('vm').description('create, run and manage sandbox VMs');
  registerCreateCommand(vm);
  registerLifecycleCommands(vm);
  registerInspectCommands(vm);
  registerSshCommand(vm);

  vm.command('run')
    .description('create a VM and open a shell in it, or run a command: banger vm run [PATH] [-- CMD...]')
    .argument('[path]', 'a directory (usually a git repo) copied to /root/repo in the guest')
    .argument('[cmd...]', 'command to run in the guest after --')
    .action(async () => {
      const { client } = await connect();
      const report = await client.doctor();
      await client.close();
      const failed = report.checks.filter((c) => c.status === 'fail');
      if (failed.length > 0) {
        const lines = failed.map((c) => `  ✗ ${c.title}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
        process.stderr.write(`banger cannot run VMs on this host yet:\n${lines.join('\n')}\n`);
        throw new AppError('host_unsupported', 'fix the problems above, then run `banger doctor` again');
      }
      throw new AppError('operation_failed', 'VM lifecycle is not available in this build yet');
    });
}
