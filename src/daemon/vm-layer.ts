import { join } from 'node:path';
import { AppError, toAppError } from '../domain/errors.js';
import { ConsoleCap, watchVmLogs } from '../host/firecracker/console-cap.js';
import { resolveFirecracker } from '../host/firecracker/resolve.js';
import { bridgeDnsServer } from '../host/network/dns-routing.js';
import { HostNetwork } from '../host/network/host-network.js';
import { establishedConnectionsTo } from '../host/network/tcp-connections.js';
import { hostFacts } from '../host/probe.js';
import { guestReachableNameservers } from '../host/resolv-conf.js';
import { SnapshotStore } from '../host/snapshots/snapshot-store.js';
import { VmRepository } from '../store/vm-repository.js';
import type { DaemonContext } from './context.js';
import { timeoutFromEnv } from './env-timeout.js';
import type {
  BootArtifactSource,
  GuestAgent,
  GuestIdentity,
  GuestReadiness,
  VmDisks,
  VmDriver,
  VmNetwork,
} from './services/vm/ports.js';
import { failpointsFromEnv } from './services/vm/steps.js';
import { testPauseFromEnv } from './services/vm/test-pause.js';
import { VmService } from './services/vm/vm-service.js';

export interface VmAdapters {
  driver: VmDriver;
  disks: VmDisks;
  images: BootArtifactSource;
  readiness: GuestReadiness;
  identity: GuestIdentity;
  agent: GuestAgent;
}

export interface VmLayer {
  service: VmService;
  /** Stops background work (TAP pool refill, activity sampling); running VMs keep running. */
  close(): Promise<void>;
}

const VM_ID_RE = /^[0-9a-f]{16}$/;

/**
 * Builds the VM service and reconciles (DESIGN §6): VMs whose Firecracker
 * is still there (verified) are adopted, the others are recorded stopped;
 * then host networking starts in the background, keeping the TAPs and rules
 * of adopted VMs and removing every other banger-tagged one. Networking
 * failures (no privileges) do not stop the daemon: VM starts fail with the
 * reason instead, and doctor explains.
 */
export async function startVmLayer(
  ctx: Omit<DaemonContext, 'vms'>,
  adapters: VmAdapters,
  env: Record<string, string | undefined>,
): Promise<VmLayer> {
  const { config, logger, runner } = ctx;
  // Read before anything starts, so a bad value stops the daemon with one line and nothing to undo.
  const readyTimeoutMs = timeoutFromEnv(env, 'BANGER_READY_TIMEOUT_MS', 180_000);
  const stopTimeoutMs = timeoutFromEnv(env, 'BANGER_STOP_TIMEOUT_MS', 20_000);
  const hostNetwork = new HostNetwork({
    runner,
    log: logger,
    bridgeName: config.bridgeName,
    bridgeIp: config.bridgeIp,
    cidr: config.cidr,
    tapPoolSize: config.tapPoolSize,
    isVmId: (id) => VM_ID_RE.test(id),
    privileged: { helper: config.rootHelper },
    // systemd-resolved forgets per-link DNS with the link; start() re-applies it (docs/dns-routing.md)
    dnsServer: bridgeDnsServer(config.bridgeIp, config.dnsListenAddr),
    guestIsolation: config.guestIsolation,
  });
  const logCap = new ConsoleCap(2000, (path, err) => logger.warn({ path, err }, 'capping a VM log failed'));
  logCap.start();
  let networkReady: Promise<VmNetwork> | undefined;
  /** Starts host networking once; a failure is remembered until the next attempt. */
  const startNetwork = (): Promise<VmNetwork> => {
    networkReady ??= hostNetwork.start(service.runtime.runningIds()).then(
      (report) => {
        logger.info({ report }, 'host network ready');
        return hostNetwork;
      },
      (err: unknown) => {
        networkReady = undefined;
        const reason = toAppError(err);
        logger.warn({ err }, 'host network unavailable');
        throw new AppError(
          reason.code === 'internal' ? 'host_unsupported' : reason.code,
          `host networking is not available: ${reason.message}; run \`banger doctor\``,
        );
      },
    );
    return networkReady;
  };
  let firecracker: Promise<string> | undefined;
  const service = new VmService({
    repo: new VmRepository(ctx.db),
    config,
    vmsDir: ctx.paths.vmsDir,
    logger,
    ...adapters,
    network: () => startNetwork(),
    firecrackerBin: () => {
      // Cached on success only: installing Firecracker must not need a daemon restart.
      firecracker ??= resolveFirecracker(runner, config.firecrackerBin)
        .then((bin) => bin.path)
        .catch((err: unknown) => {
          firecracker = undefined;
          throw err;
        });
      return firecracker;
    },
    hostFacts: hostFacts(),
    guestDns: [config.bridgeIp, ...guestReachableNameservers()],
    failpoints: failpointsFromEnv(env),
    testPause: testPauseFromEnv(env, logger),
    watchLogs: (vmDir) => watchVmLogs(logCap, vmDir),
    readyTimeoutMs,
    stopTimeoutMs,
    connections: establishedConnectionsTo,
    snapshotStore: new SnapshotStore(join(ctx.paths.stateDir, 'snapshots'), ctx.paths.tmpDir, runner),
    poolStore: new SnapshotStore(join(ctx.paths.stateDir, 'pool'), ctx.paths.tmpDir, runner),
  });

  logger.info(await service.reconcile(), 'vm reconcile done');
  await service.snapshots.reconcile();

  // Reconcile the network now only when banger's bridge exists (otherwise nothing of ours can be
  // attached to it); else on the first VM start, so a daemon that never runs a VM changes nothing.
  const bridge = await hostNetwork.inspectBridge().catch(() => undefined);
  if (bridge?.exists) await startNetwork().catch(() => undefined);
  service.activity.start(config.statsPollIntervalMs);
  // warm_pool_size: boot the pool's base and fill it in the background (nothing when 0).
  service.pool?.refill();
  if (config.autoStopStaleAfterMs !== undefined) {
    logger.info({ stopAfterMs: config.autoStopStaleAfterMs }, 'auto-stop of idle VMs is on');
  }

  return {
    service,
    close: async () => {
      logCap.stop();
      await service.activity.close();
      await hostNetwork.stop();
    },
  };
}
