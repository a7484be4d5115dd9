import { Command, CommanderError } from 'commander';
import { errorCodes } from '../domain/errors.js';
import { VERSION } from '../domain/version.js';
import { registerCompletion, type Tab } from './commands/completion.js';
import { applyLiveNames, fetchLiveNames, type LiveNames } from './live-names.js';

type Register = (program: Command) => void;

/**
 * The top-level commands in help order, each with the loader of its module.
 * A module is loaded only when its command may run: building and loading all
 * of them is most of a command's own start-up.
 */
const commands: readonly (readonly [name: string, load: () => Promise<Register>])[] = [
  ['vm', async () => (await import('./commands/vm/index.js')).registerVmCommands],
  ['image', async () => (await import('./commands/image.js')).registerImageCommands],
  ['kernel', async () => (await import('./commands/kernel.js')).registerKernelCommands],
  ['events', async () => (await import('./commands/events.js')).registerEventsCommand],
  ['tui', async () => (await import('./commands/tui.js')).registerTuiCommand],
  ['web', async () => (await import('./commands/web.js')).registerWebCommand],
  ['doctor', async () => (await import('./commands/doctor.js')).registerDoctorCommand],
  ['daemon', async () => (await import('./commands/daemon.js')).registerDaemonCommands],
  ['system', async () => (await import('./commands/system.js')).registerSystemCommands],
  ['uninstall', async () => (await import('./commands/uninstall.js')).registerUninstallCommand],
];

/** The commands `argv` (process.argv) can run: the one it names, none for `--version` alone, else all. */
function chooseCommands(argv: readonly string[]): typeof commands {
  const verb = argv[2];
  if (argv.length === 3 && (verb === '-V' || verb === '--version')) return [];
  const named = commands.filter(([name]) => name === verb);
  return named.length > 0 ? named : commands;
}

/**
 * Builds the command tree for `argv` (process.argv). When argv[2] names a
 * top-level command only that command is built: commander dispatches on it
 * and never looks at its siblings. `--version` alone needs none. Anything
 * else (help, no command, an unknown one that gets a suggestion, completion)
 * gets the whole tree.
 * `liveNames` (only when completing) become the choices shell completion offers;
 * `tab` is the completion library, given only when a completion command runs.
 */
async function buildProgram(argv: readonly string[], liveNames?: LiveNames, tab?: Tab): Promise<Command> {
  const program = new Command('banger')
    .description('One-command development sandboxes on Firecracker microVMs')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false });
  const chosen = chooseCommands(argv);
  const registers = await Promise.all(chosen.map(([, load]) => load()));
  for (const register of registers) register(program);
  if (chosen === commands) {
    if (liveNames) applyLiveNames(program, liveNames);
    registerCompletion(program, tab);
  }
  return program;
}

/**
 * Runs argv (process.argv) through commander. Usage errors, --help and --version
 * end here with their exit code (commander has printed them); any other failure
 * is thrown for main to report.
 */
export async function runProgram(argv: readonly string[]): Promise<void> {
  const verb = argv[2];
  // The completion library is loaded only for the completion commands (it is a start-up cost).
  const tab =
    verb === 'complete' || verb === 'completion'
      ? (await import('@bomb.sh/tab/commander')).default
      : undefined;
  // Completion handlers are synchronous: fetch resource names before building the tree.
  const words = argv.slice(argv.indexOf('--') + 1);
  const liveNames = verb === 'complete' ? await fetchLiveNames(words) : undefined;
  const program = await buildProgram(argv, liveNames, tab);
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Commander has already printed its message (or the help/version text).
    process.exitCode = err.exitCode === 0 ? 0 : errorCodes.invalid_argument.exit;
  }
}
