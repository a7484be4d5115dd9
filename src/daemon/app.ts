import { chmodSync, existsSync, rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../domain/version.js';
import { loadConfig } from '../host/config-file.js';
import { DaemonLock } from '../host/daemon-lock.js';
import { DnsServer, formatListenAddress, parseListenAddress } from '../host/dns/index.js';
import { createFileLogger, type Logger } from '../host/logger.js';
import { type BangerPaths, ensurePrivateDir, resolvePaths } from '../host/paths.js';
import { type Runner, SpawnRunner } from '../host/runner.js';
import { openDatabase } from '../store/db.js';
import { MetaRepository } from '../store/meta-repository.js';
import { VmRepository } from '../store/vm-repository.js';
import type { DaemonContext } from './context.js';
import { buildServer } from './server.js';
import { listenOnBridge } from './services/dns/bridge-listener.js';
import { defaultChecks } from './services/doctor/checks.js';
import { createImageServices, removeStaleImageArtifacts } from './services/images/index.js';
import { hostVmAdapters } from './vm-adapters.js';
import { startVmLayer } from './vm-layer.js';

export interface RunningDaemon {
  app: FastifyInstance;
  paths: BangerPaths;
  logger: Logger;
  /** Resolves when shutdown has been requested through the API. */
  shutdownRequested: Promise<void>;
  /** Stops serving, closes the store and releases the lock. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  runner?: Runner;
}

/**
 * The composition root: loads config, takes the per-user lock, opens the
 * store, and serves the API on the Unix socket (0600 in a 0700 directory).
 * Nothing is started when the config is invalid or another daemon holds the lock.
 */
export async function startDaemon(options: StartOptions = {}): Promise<RunningDaemon> {
  const env = options.env ?? process.env;
  const paths = resolvePaths(env);
  const config = loadConfig(paths.configFile, env);
  ensurePrivateDir(paths.stateDir);
  ensurePrivateDir(paths.runtimeDir);
  const lock = DaemonLock.acquire(paths.lockFile, paths.pidFile);
  const logger = createFileLogger(paths.daemonLog, config.logLevel);
  const db = openDatabase(paths.database);
  restrictModes([paths.database, `${paths.database}-wal`, `${paths.database}-shm`, paths.lockFile]);
  new MetaRepository(db).set('last_daemon_version', VERSION);

  let signalShutdown: () => void = () => {};
  const shutdownRequested = new Promise<void>((resolve) => {
    signalShutdown = resolve;
  });
  const runner = options.runner ?? new SpawnRunner();
  // Before anything can start a new operation: clear what a killed daemon left half-made.
  await removeStaleImageArtifacts({ paths, db, logger });
  const images = createImageServices({
    paths,
    runner,
    logger,
    db,
    insecureSkipKernelSignature: config.insecureSkipKernelSignature,
  });
  const base: Omit<DaemonContext, 'vms'> = {
    config,
    paths,
    runner,
    logger,
    db,
    startedAt: new Date(),
    doctorChecks: defaultChecks,
    images,
    dns: { listening: [], error: undefined },
    requestShutdown: () => signalShutdown(),
  };
  const vmLayer = await startVmLayer(base, hostVmAdapters(base), env);
  const ctx: DaemonContext = { ...base, vms: vmLayer.service };
  const dns = await startDns(ctx);
  const app = buildServer(ctx);
  try {
    // We hold the lock, so a socket file left here belongs to a dead daemon.
    rmSync(paths.socket, { force: true });
    await app.listen({ path: paths.socket });
    chmodSync(paths.socket, 0o600);
  } catch (err) {
    await app.close();
    await images.close();
    await dns.close();
    await vmLayer.close();
    db.close();
    lock.release();
    throw err;
  }
  logger.info({ socket: paths.socket, version: VERSION }, 'bangerd started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info('bangerd stopping');
      await images.close();
      await app.close();
      await dns.close();
      await vmLayer.close();
      rmSync(paths.socket, { force: true });
      db.close();
      lock.release();
      logger.info('bangerd stopped');
      logger.flush();
    })();
    return closing;
  };
  return { app, paths, logger, shutdownRequested, close };
}

/** Makes state files 0600 whatever the umask was when they were created. */
function restrictModes(files: readonly string[]): void {
  for (const file of files) if (existsSync(file)) chmodSync(file, 0o600);
}

/**
 * Serves `<vm>.vm` from the store, so records follow creates, renames and
 * deletes at once. A DNS port already in use does not stop the daemon: VMs
 * still work by IP, and `daemon status` and the log say why names do not resolve.
 */
async function startDns(ctx: DaemonContext): Promise<DnsServer> {
  const vms = new VmRepository(ctx.db);
  const dns = new DnsServer({
    records: { lookup: (name) => vms.ipForName(name) },
    listen: [parseListenAddress(ctx.config.dnsListenAddr)],
    logger: ctx.logger,
  });
  try {
    await dns.start();
    ctx.dns.listening = dns.addresses().map(formatListenAddress);
    const port = dns.addresses()[0]?.port ?? 0;
    // For systemd-resolved (docs/dns-routing.md); retried until the bridge exists, stops when dns closes.
    listenOnBridge({
      dns,
      host: ctx.config.bridgeIp,
      port,
      log: ctx.logger,
      onListening: (address) => ctx.dns.listening.push(address),
    });
  } catch (err) {
    ctx.dns.error = (err as Error).message;
    ctx.logger.warn({ err }, 'DNS server not started');
  }
  return dns;
}
