import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { BangerClient } from '../api/client.js';
import { AppError } from '../domain/errors.js';
import { type BangerPaths, ensurePrivateDir, resolvePaths } from '../host/paths.js';
import { verifySocketPath } from '../host/socket-trust.js';
import { besideCli } from './beside-cli.js';

export interface ConnectOptions {
  env?: Record<string, string | undefined>;
  /** Start bangerd when it is not running. Default true. */
  autoStart?: boolean;
  /** How long to wait for a started daemon to answer. */
  startTimeoutMs?: number;
}

/** The daemon script to start: BANGER_DAEMON_BIN, else `bangerd.js` beside this bundle. */
function daemonScript(env: Record<string, string | undefined>): string {
  return env.BANGER_DAEMON_BIN ?? besideCli('bangerd.js', import.meta.url);
}

/**
 * Returns a client for the daemon, starting one (detached) when needed. The
 * config is validated first, so a broken config is reported and no daemon is
 * started on it. A daemon that does not come up within the bound fails with
 * one line naming its log.
 *
 * No request is spent asking whether the daemon runs: with a socket in place
 * the client is returned at once, and a first request that cannot connect
 * (no daemon behind the socket: nothing was sent) starts it and is tried
 * again. Without `autoStart` such a request fails with one line instead.
 * After the daemon has answered once, the client never starts it again.
 */
export async function connect(
  options: ConnectOptions = {},
): Promise<{ client: BangerClient; paths: BangerPaths }> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  let starting: Promise<void> | undefined;
  // Concurrent first requests share one start.
  const ensureStarted = () => {
    starting ??= start(paths, env, options).finally(() => {
      starting = undefined;
    });
    return starting;
  };
  // Every connection is preceded by the ownership checks, so nothing reaches a planted socket.
  const client = new BangerClient(paths.socket, {
    beforeConnect: () => verifySocketPath(paths.socket),
    onUnreachable: ensureStarted,
  });
  // Also refuses a planted socket directory before a daemon would be started into it.
  if (verifySocketPath(paths.socket) === 'absent') await ensureStarted();
  return { client, paths };
}

/** Starts the daemon (after checking the config), or says it is not running when autoStart is off. */
async function start(
  paths: BangerPaths,
  env: Record<string, string | undefined>,
  options: ConnectOptions,
): Promise<void> {
  if (options.autoStart === false) {
    throw new AppError(
      'daemon_unavailable',
      'bangerd is not running; any banger command starts it, e.g. `banger daemon status`',
    );
  }
  // Loaded only here: TOML and the config schema are not needed to talk to a running daemon.
  const { loadConfig } = await import('../host/config-file.js');
  loadConfig(paths.configFile, env);
  // A client of its own to wait with: it must not start the daemon again itself.
  const probe = new BangerClient(paths.socket, { beforeConnect: () => verifySocketPath(paths.socket) });
  await startDaemon(paths, env, probe, options.startTimeoutMs ?? 15_000);
}

/**
 * Whether a daemon answers on the socket. Refuses (host_unsupported) a socket
 * directory or socket that may be someone else's, so a planted directory is
 * reported before a daemon would be started into it.
 */
async function isUp(client: BangerClient): Promise<boolean> {
  if (verifySocketPath(client.socketPath) === 'absent') return false;
  try {
    await client.status();
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'daemon_unavailable') return false;
    throw err;
  }
}

async function startDaemon(
  paths: BangerPaths,
  env: Record<string, string | undefined>,
  client: BangerClient,
  timeoutMs: number,
): Promise<void> {
  ensurePrivateDir(paths.stateDir);
  const logStart = existsSync(paths.daemonLog) ? statSync(paths.daemonLog).size : 0;
  // Early output (before the daemon's own logger exists) goes to the same log.
  // Loaded only here: child_process is a start-up cost of every command that finds the daemon up.
  const { spawn } = await import('node:child_process');
  const logFd = openSync(paths.daemonLog, 'a', 0o600);
  const child = spawn(process.execPath, [daemonScript(env)], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: env as NodeJS.ProcessEnv,
  });
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();

  const deadline = Date.now() + timeoutMs;
  let exitedAt: number | undefined;
  while (Date.now() < deadline) {
    if (await isUp(client)) return;
    // A child that lost the start race to another CLI exits at once; give the winner a moment.
    if (exited) exitedAt ??= Date.now();
    if (exitedAt !== undefined && Date.now() - exitedAt > 2000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const reason = lastDaemonLine(paths.daemonLog, logStart);
  throw new AppError(
    'daemon_unavailable',
    `bangerd did not start${reason ? `: ${reason}` : ''}; see ${paths.daemonLog}`,
  );
}

/** The last plain-text line bangerd printed since `offset` (its fatal message), if any. */
function lastDaemonLine(logFile: string, offset: number): string | undefined {
  try {
    const size = statSync(logFile).size;
    const length = Math.min(size - offset, 64 * 1024);
    if (length <= 0) return undefined;
    const buf = Buffer.alloc(length);
    const fd = openSync(logFile, 'r');
    readSync(fd, buf, 0, length, size - length);
    closeSync(fd);
    const lines = buf.toString('utf8').split('\n');
    const line = lines.reverse().find((l) => l.startsWith('bangerd: '));
    return line?.slice('bangerd: '.length);
  } catch {
    return undefined;
  }
}

export { resolvePaths };
