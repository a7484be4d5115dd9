import { toAppError } from '../domain/errors.js';

/**
 * Runs one CLI command: every failure ends as one line on stderr and the exit
 * code of its AppError code (see the README); usage errors exit 2.
 */
export async function runCli(command: () => Promise<void>): Promise<void> {
  // `banger vm list | head`: a reader that went away is not an error, and never a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  try {
    await command();
  } catch (err) {
    const appError = toAppError(err);
    process.stderr.write(`banger: ${appError.message}\n`);
    if (appError.code === 'internal' && process.env.BANGER_DEBUG && err instanceof Error) {
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    process.exitCode = appError.exitCode;
  }
}
