import { Command } from 'commander';
import { VERSION } from '../domain/version.js';
import { registerCompletion, type Tab } from './commands/completion.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerEventsCommand } from './commands/events.js';
import { registerImageCommands } from './commands/image.js';
import { registerKernelCommands } from './commands/kernel.js';
import { registerSystemCommands } from './commands/system.js';
import { registerTuiCommand } from './commands/tui.js';
import { registerUninstallCommand } from './commands/uninstall.js';
import { registerVmCommands } from './commands/vm/index.js';
import { registerWebCommand } from './commands/web.js';
import { applyLiveNames, type LiveNames } from './live-names.js';

/**
 * Builds the whole command tree; one register function per command file.
 * `liveNames` (only when completing) become the choices shell completion offers;
 * `tab` is the completion library, given only when a completion command runs.
 */
export function buildProgram(liveNames?: LiveNames, tab?: Tab): Command {
  const program = new Command('banger')
    .description('One-command development sandboxes on Firecracker microVMs')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false });
  registerVmCommands(program);
  registerImageCommands(program);
  registerKernelCommands(program);
  registerEventsCommand(program);
  registerTuiCommand(program);
  registerWebCommand(program);
  registerDoctorCommand(program);
  registerDaemonCommands(program);
  registerSystemCommands(program);
  registerUninstallCommand(program);
  if (liveNames) applyLiveNames(program, liveNames);
  registerCompletion(program, tab);
  return program;
}
