import { type Command, CommanderError } from 'commander';
import { errorCodes, toAppError } from '../domain/errors.js';
import { fetchLiveNames } from './live-names.js';
import { buildProgram } from './program.js';

/**
 * The banger CLI. Every failure ends as one line on stderr and the exit code
 * of its AppError code (see the README); usage errors exit 2.
 */
async function main(): Promise<void> {
  // `banger vm list | head`: a reader that went away is not an error, and never a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  const verb = process.argv[2];
  // The completion library is loaded only for the completion commands (it is a start-up cost).
  const tab =
    verb === 'complete' || verb === 'completion'
      ? (await import('@bomb.sh/tab/commander')).default
      : undefined;
  // Completion handlers are synchronous: fetch resource names before building the tree.
  const words = process.argv.slice(process.argv.indexOf('--') + 1);
  const liveNames = verb === 'complete' ? await fetchLiveNames(words) : undefined;
  const program = await buildProgram(process.argv, liveNames, tab);
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help/version text).
      process.exitCode = err.exitCode === 0 ? 0 : errorCodes.invalid_argument.exit;
      return;
    }
    const appError = toAppError(err);
    process.stderr.write(`banger: ${appError.message}\n`);
    if (appError.code === 'internal' && process.env.BANGER_DEBUG && err instanceof Error) {
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    process.exitCode = appError.exitCode;
  }
}

await main();
