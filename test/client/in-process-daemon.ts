import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BangerClient } from '../../src/api/client.js';
import { connect } from '../../src/client/autostart.js';
import type { DaemonContext } from '../../src/daemon/context.js';
import { buildServer } from '../../src/daemon/server.js';
import { defaultChecks } from '../../src/daemon/services/doctor/checks.js';
import { createImageServices } from '../../src/daemon/services/images/index.js';
import { startVmLayer } from '../../src/daemon/vm-layer.js';
import { applyDefaults } from '../../src/domain/config.js';
import { silentLogger } from '../../src/host/logger.js';
import { type BangerPaths, ensurePrivateDir, resolvePaths } from '../../src/host/paths.js';
import { openDatabase } from '../../src/store/db.js';
import { FakeRunner } from '../../src/testing/fake-runner.js';
import { FakeDriver, fakeVmAdapters, Holds } from './fake-vm-adapters.js';

export const IMAGE = 'placeholder';
const BRIDGE = 'banger0';

/**
 * The real daemon (routes, VM service, store, image service, host
 * networking) in the test process, serving its API on a Unix socket in a
 * temp HOME, reached through the client core's `connect` like a front end
 * reaches it. Below the VM layer's adapter seam nothing touches the host:
 * fake driver, disks, readiness and identity (fake-vm-adapters.ts), and a
 * FakeRunner that plays an existing bridge for the networking commands and
 * keeps the TAPs they create in `taps`.
 */
export interface InProcessDaemon {
  client: BangerClient;
  paths: BangerPaths;
  runner: FakeRunner;
  driver: FakeDriver;
  holds: Holds;
  /** TAP devices as the fake host has them now. */
  taps: Set<string>;
  /** Resolves when the next request is closed by the client before its answer was complete. */
  nextClientAbort(): Promise<void>;
  knownHosts(): string;
  close(): Promise<void>;
}

/** The networking commands' argv without how they were run: `sudo -n <helper> ip ...` and `/usr/sbin/ip ...` both become `ip ...`. */
function command(argv: readonly string[]): string[] {
  return argv[0] === 'sudo' ? argv.slice(3) : [basename(argv[0] ?? ''), ...argv.slice(1)];
}

const is =
  (...prefix: string[]) =>
  (argv: readonly string[]) => {
    const c = command(argv);
    return prefix.every((part, i) => c[i] === part);
  };

/** A host with banger's bridge up and addressed, no iptables rules, no systemd-resolved. */
function fakeHost(taps: Set<string>): FakeRunner {
  const bridge = {
    ifname: BRIDGE,
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    ifalias: 'banger-bridge',
    linkinfo: { info_kind: 'bridge' },
  };
  return new FakeRunner()
    .on(['/bin/true', '--version'], { stdout: 'Firecracker v1.16.1\n' })
    .on(is('ip', '-d', '-j', 'link', 'show', 'dev', BRIDGE), { stdout: JSON.stringify([bridge]) })
    .on(is('ip', '-j', '-4', 'addr', 'show', 'dev', BRIDGE), {
      stdout: JSON.stringify([{ addr_info: [{ family: 'inet', local: '172.16.0.1', prefixlen: 24 }] }]),
    })
    .on(is('ip', '-d', '-j', 'link', 'show'), () => ({ stdout: JSON.stringify([bridge]) }))
    .on(is('resolvectl'), { exitCode: 1, stderr: 'Failed to get global data: Connection refused\n' })
    .on(is('iptables-save'), { stdout: '' })
    .on(is('ip', 'tuntap', 'add', 'dev'), (argv) => {
      taps.add(command(argv)[4] ?? '');
      return {};
    })
    .on(is('ip', 'link', 'set', 'dev'), (argv) =>
      taps.has(command(argv)[4] ?? '') ? {} : { exitCode: 1, stderr: 'Cannot find device\n' },
    )
    .on(is('ip', 'link', 'del', 'dev'), (argv) =>
      taps.delete(command(argv)[4] ?? '') ? {} : { exitCode: 1, stderr: 'Cannot find device\n' },
    );
}

export async function startInProcessDaemon(): Promise<InProcessDaemon> {
  const home = mkdtempSync(join(tmpdir(), 'banger-vmrun-'));
  const env = { HOME: home, XDG_RUNTIME_DIR: join(home, 'run') };
  const paths = resolvePaths(env);
  ensurePrivateDir(paths.stateDir);
  ensurePrivateDir(paths.runtimeDir);
  const taps = new Set<string>();
  const runner = fakeHost(taps);
  const logger = silentLogger();
  const db = openDatabase(paths.database);
  const images = createImageServices({ paths, runner, logger, db });
  const base: Omit<DaemonContext, 'vms'> = {
    // No TAP pool: every TAP is made for its VM, so `taps` holds exactly the VMs'.
    config: applyDefaults({ firecracker_bin: '/bin/true', tap_pool_size: 0, dns_listen_addr: '127.0.0.1:0' }),
    paths,
    runner,
    logger,
    db,
    images,
    startedAt: new Date(),
    doctorChecks: defaultChecks,
    dns: { listening: [], error: undefined },
    requestShutdown: () => {},
  };
  const holds = new Holds();
  const driver = new FakeDriver(holds);
  const adapters = fakeVmAdapters({
    holds,
    driver,
    images: {
      resolve: (name) => images.images.resolveBootArtifacts(name),
      ensure: (name, onProgress, signal) => images.images.ensureImage(name, onProgress, signal),
    },
    knownHostsFile: paths.knownHostsFile,
    keyPath: paths.sshKeyFile,
  });
  const vmLayer = await startVmLayer(base, adapters, {});
  const app = buildServer({ ...base, vms: vmLayer.service });
  const aborts: (() => void)[] = [];
  app.addHook('onRequest', async (_request, reply) => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) for (const resolve of aborts.splice(0)) resolve();
    });
  });
  await app.listen({ path: paths.socket });
  chmodSync(paths.socket, 0o600);
  const { client } = await connect({ env, autoStart: false });
  await client.registerImage(await placeholderImage(join(home, 'artifacts')));
  return {
    client,
    paths,
    runner,
    driver,
    holds,
    taps,
    nextClientAbort: () => new Promise((resolve) => aborts.push(resolve)),
    knownHosts: () => {
      try {
        return readFileSync(paths.knownHostsFile, 'utf8');
      } catch {
        return '';
      }
    },
    close: async () => {
      holds.releaseAll();
      await client.close();
      await app.close();
      await vmLayer.close();
      db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** An image of placeholder files: the fake driver boots nothing, so they are only registered and passed on. */
async function placeholderImage(dir: string) {
  mkdirSync(dir);
  for (const file of ['rootfs.ext4', 'vmlinux', 'initrd.img']) writeFileSync(join(dir, file), `${file}\n`);
  return {
    name: IMAGE,
    rootfs: join(dir, 'rootfs.ext4'),
    vmlinux: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.img'),
  };
}
