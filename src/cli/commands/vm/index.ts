import type { Command } from 'commander';
import { registerAcpCommand } from './acp.js';
import { registerCreateCommand } from './create.js';
import { registerForkCommand } from './fork.js';
import { registerInspectCommands } from './inspect.js';
import { registerLifecycleCommands } from './lifecycle.js';
import { registerRunCommand } from './run.js';
import { registerSessionCommands } from './session.js';
import { registerSnapshotCommands } from './snapshot.js';
import { registerPortsCommand, registerSshCommand } from './ssh.js';
import { registerWorkspaceCommands } from './workspace.js';

export function registerVmCommands(program: Command): void {
  const vm = program.command('vm').description('create, run and manage sandbox VMs');
  registerRunCommand(vm);
  registerCreateCommand(vm);
  registerSshCommand(vm);
  registerLifecycleCommands(vm);
  registerInspectCommands(vm);
  registerPortsCommand(vm);
  registerWorkspaceCommands(vm);
  registerAcpCommand(vm);
  registerSessionCommands(vm);
  registerSnapshotCommands(vm);
  registerForkCommand(vm);
}
