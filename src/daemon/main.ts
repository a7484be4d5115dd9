import { toAppError } from '../domain/errors.js';
import { VERSION } from '../domain/version.js';
import { startDaemon } from './app.js';

/** bangerd: runs in the foreground until SIGTERM/SIGINT or `banger daemon stop`. */
async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === '--version') {
    process.stdout.write(`bangerd ${VERSION}\n`);
    return;
  }
  if (arg !== undefined) {
    process.stdout.write(
      'usage: bangerd [--version]\n\nThe banger daemon. The banger CLI starts it on demand; see `banger daemon --help`.\n',
    );
    process.exitCode = arg === '--help' || arg === '-h' ? 0 : 2;
    return;
  }
  // Everything the daemon creates is private to the user unless made otherwise explicitly.
  process.umask(0o077);
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon();
  } catch (err) {
    const appError = toAppError(err);
    process.stderr.write(`bangerd: ${appError.message}\n`);
    if (appError.code === 'internal' && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
    process.exitCode = appError.exitCode;
    return;
  }
  const stop = async (reason: string) => {
    daemon.logger.info({ reason }, 'shutdown requested');
    await daemon.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  await daemon.shutdownRequested;
  await stop('api');
}

await main();
