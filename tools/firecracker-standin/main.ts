// banger's Firecracker stand-in: Firecracker's command line and API, guests
// booted with QEMU (or none with --no-guest). NOT Firecracker; see tools/README.md.
//
// Exit status, as Firecracker's: 0 when the guest powers off or reboots, 1 on
// errors (socket in use, failed config file), 153 for bad arguments; killed
// by the signal that killed it otherwise (QEMU is killed first).

import { ArgError, type CliOptions, DEFAULT_ID, helpText, parseArgs, validInstanceId } from './cli.js';
import { runConfigFile } from './config-file.js';
import { ioDisplay } from './faults.js';
import { type Guest, NoGuest } from './guest.js';
import { Logger, Metrics, parseLevel } from './logger.js';
import { QemuGuest } from './qemu.js';
import { Resources } from './resources.js';
import { ApiServer, ApiSocketInUse } from './server.js';
import { type ApiSpec, loadSpec, resolveSpecPath, SpecError } from './spec.js';
import { Vmm } from './vmm.js';
import { VsockBackend } from './vsock.js';

/** Reported when the API description cannot be read (only --version and --help get this far without it). */
const FALLBACK_VERSION = '1.16.1';
const EXIT_ARG_PARSING = 153;

function fail(logger: Logger, display: string, debug: string, status = 1): never {
  logger.error('main', display);
  process.stderr.write(`Error: ${debug}\n`);
  logger.error('main', `Firecracker exiting with error. exit_code=${status}`);
  process.exit(status);
}

function readSpec(opts: CliOptions): ApiSpec | SpecError {
  try {
    return loadSpec(resolveSpecPath(opts.apiSpec));
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
}

async function main(): Promise<void> {
  // Like Firecracker's, the logger exists (on stdout) before the arguments are parsed.
  const logger = new Logger(DEFAULT_ID);
  let opts: CliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ArgError)) throw err;
    const text = `Arguments parsing error: ${err.message} \n\nFor more information try --help.`;
    fail(logger, text, `ParseArguments(${JSON.stringify(err.message)})`, EXIT_ARG_PARSING);
  }
  const spec = readSpec(opts);
  const version = spec instanceof SpecError ? FALLBACK_VERSION : spec.version;
  if (opts.help || opts.version) {
    process.stdout.write(opts.help ? `${helpText(version)}\n` : `Firecracker v${version}\n\n`);
    return;
  }
  if (spec instanceof SpecError) fail(logger, spec.message, `ApiSpec(${JSON.stringify(spec.message)})`);
  if (!validInstanceId(opts.id))
    fail(logger, 'Invalid instance ID', `InvalidInstanceId(${JSON.stringify(opts.id)})`);
  logger.setId(opts.id);
  try {
    const level = opts.level === undefined ? undefined : parseLevel(opts.level);
    if (opts.level !== undefined && !level) {
      const why = `Invalid value for logger level: ${opts.level}.Possible values: [Error, Warning, Info, Debug]`;
      fail(logger, why, `InvalidLogLevel(${JSON.stringify(opts.level)})`, 152);
    }
    logger.configure({ path: opts.logPath, level, showLevel: opts.showLevel || undefined });
  } catch (err) {
    fail(logger, `Could not initialize logger: ${ioDisplay(err)}`, `LoggerInitialization(${String(err)})`);
  }
  logger.info('main', `Running Firecracker v${version}`);
  logger.info(
    'main',
    `banger stand-in (NOT Firecracker): API checked against ${spec.path}; ${opts.noGuest ? 'no guest' : 'guests run under QEMU'}`,
  );

  const metrics = new Metrics();
  const resources = new Resources();
  const vsock = new VsockBackend();
  const guest: Guest = opts.noGuest ? new NoGuest() : new QemuGuest({ logger, vsock });
  const vmm = new Vmm({
    id: opts.id,
    version,
    resources,
    guest,
    logger,
    metrics,
    vsock,
    realGuest: !opts.noGuest,
    // After its answer is on its way, as Firecracker exits after a failed snapshot load.
    fatal: (status) => setTimeout(() => shutdown(status), 50),
  });
  if (opts.metricsPath) {
    try {
      vmm.initMetrics(opts.metricsPath);
    } catch (err) {
      fail(
        logger,
        `Could not initialize metrics: ${ioDisplay(err)}`,
        `MetricsInitialization(${String(err)})`,
      );
    }
  }
  const server = new ApiServer(spec, vmm, logger, metrics);

  const shutdown = (status: number): never => {
    metrics.flush();
    server.close();
    vsock.close();
    if (status === 0) logger.info('main', 'Firecracker exiting successfully. exit_code=0');
    else logger.error('main', `Firecracker exiting with error. exit_code=${status}`);
    process.exit(status);
  };
  guest.onExit((status) => shutdown(status));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      // Firecracker does not handle these: it dies of them. Take QEMU along, then do the same.
      guest.kill();
      vsock.close();
      process.kill(process.pid, signal);
    });
  }

  if (!opts.noApi) {
    try {
      await server.listen(opts.apiSock);
    } catch (err) {
      if (!(err instanceof ApiSocketInUse)) throw err;
      fail(
        logger,
        `RunWithApiError error: ${err.message}`,
        `RunWithApi(FailedToBindSocket(${JSON.stringify(err.path)}))`,
      );
    }
  }
  if (opts.configFile) {
    try {
      await runConfigFile(spec, vmm, opts.configFile);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      fail(
        logger,
        `${opts.noApi ? 'RunWithoutApiError' : 'RunWithApiError'} error: Failed to build MicroVM from Json: ${why}`,
        'BuildFromJson',
      );
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `firecracker stand-in: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
