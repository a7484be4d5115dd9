import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmSshInfo } from '../../src/api/vms.js';
import type { PreparedWorkspace } from '../../src/client/workspace.js';
import type { VmDriver } from '../../src/daemon/services/vm/ports.js';
import type { VmAdapters } from '../../src/daemon/vm-layer.js';
import { AppError } from '../../src/domain/errors.js';
import type { FirecrackerHandle, LaunchHooks, VmLaunchSpec } from '../../src/host/firecracker/driver.js';
import { KnownHosts } from '../../src/host/ssh/known-hosts.js';
import { agentRequest, pingAgent } from '../../src/host/vsock/agent-client.js';
import { openAgentStream } from '../../src/host/vsock/agent-stream.js';

/**
 * The VM layer's host adapters (VmAdapters) without a host: Firecracker is
 * a record of launched specs and live pids, disks are small files, SSH
 * answers at once, keys are fixed. Real where it costs nothing: the VM
 * files land in the daemon's VM dir and host keys in its known_hosts, so
 * tests can check what is left on disk. Any adapter call can be held at a
 * named point (`Holds`) to cancel an operation exactly there.
 */

const CLIENT_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIClientKeyForInProcessDaemonTests00000';
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForInProcessDaemonTests0000000';

/** Where an adapter call can be held: before a disk is made, Firecracker launched, SSH answers. */
export type HoldPoint = 'system-disk' | 'launch' | 'ssh';

interface Hold {
  /** Resolves when the daemon has reached the point (and waits there). */
  reached: Promise<void>;
  /** Lets the daemon go on. */
  release(): void;
  /** Makes the held call fail with `error`. */
  fail(error: Error): void;
}

/** Points armed by a test; an adapter call at an armed point waits for release (or, with a signal, its abort). */
export class Holds {
  private readonly armed = new Map<HoldPoint, { reached: () => void; released: Promise<void> }>();
  /** Every hold not released yet, armed or reached. */
  private readonly unreleased = new Set<() => void>();

  arm(point: HoldPoint): Hold {
    let release = () => {};
    let fail: (error: Error) => void = () => {};
    const released = new Promise<void>((resolve, reject) => {
      release = resolve;
      fail = reject;
    });
    released.catch(() => {}); // observed by the held call, if one comes
    this.unreleased.add(release);
    void released.finally(() => this.unreleased.delete(release)).catch(() => {});
    const armed = { reached: () => {}, released };
    this.armed.set(point, armed);
    return {
      reached: new Promise((resolve) => {
        armed.reached = resolve;
      }),
      release: () => release(),
      fail: (error) => fail(error),
    };
  }

  /** Tear-down: lets every held call go, so no daemon operation keeps its request open. */
  releaseAll(): void {
    for (const release of this.unreleased) release();
    this.armed.clear();
  }

  /** Called by the adapters; like the real waits, rejects with AppError('cancelled') when `signal` aborts. */
  async at(point: HoldPoint, signal?: AbortSignal): Promise<void> {
    const hold = this.armed.get(point);
    if (!hold) return;
    this.armed.delete(point);
    hold.reached();
    if (!signal) return hold.released;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new AppError('cancelled', `${point} cancelled`));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      hold.released.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

/** A Firecracker driver whose "processes" are entries in `live`; the driver contract without a process. */
export class FakeDriver implements VmDriver {
  readonly launches: VmLaunchSpec[] = [];
  /** pid → ends the process (resolves its waitExit). */
  readonly live = new Map<number, () => void>();
  private readonly exits = new Map<number, Promise<void>>();
  private nextPid = 90_000;

  constructor(private readonly holds: Holds) {}

  async launch(spec: VmLaunchSpec, _signal?: AbortSignal, hooks?: LaunchHooks) {
    this.launches.push(spec);
    const handle: FirecrackerHandle = {
      pid: this.nextPid++,
      startTime: 1,
      apiSock: join(spec.vmDir, 'firecracker.sock'),
      vmDir: spec.vmDir,
    };
    await writeFile(join(spec.vmDir, 'firecracker.log'), 'launched\n');
    await writeFile(join(spec.vmDir, 'console.log'), 'booted\n');
    this.exits.set(
      handle.pid,
      new Promise((resolve) => {
        this.live.set(handle.pid, () => {
          this.live.delete(handle.pid);
          resolve();
        });
      }),
    );
    await hooks?.onSpawned?.(handle);
    await this.holds.at('launch');
    return handle;
  }

  async identify(handle: FirecrackerHandle) {
    return this.live.has(handle.pid);
  }

  async inspect(handle: FirecrackerHandle) {
    return this.live.has(handle.pid) ? ('running' as const) : ('gone' as const);
  }

  async stop(handle: FirecrackerHandle) {
    const end = this.live.get(handle.pid);
    end?.();
    return end ? ('graceful' as const) : ('gone' as const);
  }

  async kill(handle: FirecrackerHandle) {
    this.live.get(handle.pid)?.();
  }

  async findProcesses() {
    return [];
  }

  waitExit(handle: FirecrackerHandle) {
    return this.exits.get(handle.pid) ?? Promise.resolve();
  }

  async stats(handle: FirecrackerHandle) {
    if (!this.live.has(handle.pid)) throw new AppError('conflict', 'not running');
    return { rssBytes: 0, cpuSeconds: 0 };
  }
}

/** The adapters the in-process daemon's VM layer runs with. */
export function fakeVmAdapters(o: {
  holds: Holds;
  driver: FakeDriver;
  /** The daemon's own image service: images are registered through the API. */
  images: VmAdapters['images'];
  knownHostsFile: string;
  keyPath: string;
}): VmAdapters {
  const knownHosts = new KnownHosts(o.knownHostsFile);
  return {
    driver: o.driver,
    disks: {
      createSystemDisk: async (path) => {
        await o.holds.at('system-disk');
        await writeFile(path, 'system disk\n');
      },
      createWorkDisk: async ({ path }) => writeFile(path, 'work disk\n'),
      growWorkDisk: async () => {},
      usage: async (path) => {
        const s = await stat(path);
        return { apparentBytes: s.size, allocatedBytes: s.blocks * 512 };
      },
    },
    images: o.images,
    readiness: { waitForSsh: (_ip, { signal }) => o.holds.at('ssh', signal) },
    identity: {
      clientKey: async () => ({ privateKeyPath: o.keyPath, publicKey: CLIENT_KEY }),
      knownHostsFile: o.knownHostsFile,
      newHostKey: async () => ({ privateKey: 'fixed private key\n', publicKey: HOST_KEY }),
      trust: (vmId, addresses, key) => knownHosts.trust(vmId, addresses, key),
      forget: (names) => knownHosts.forget(names),
    },
    // The real client: with no vsock socket in the fake VM's directory, the agent never answers.
    agent: {
      ping: (vmDir, timeoutMs) => pingAgent(join(vmDir, 'vsock.sock'), timeoutMs),
      request: (vmDir, body, timeoutMs) => agentRequest(join(vmDir, 'vsock.sock'), body, timeoutMs),
      openStream: async (vmDir, body, timeoutMs) => {
        const { response, socket } = await openAgentStream(join(vmDir, 'vsock.sock'), body, timeoutMs);
        return { response, stream: socket };
      },
    },
  };
}

/** The guest-side hooks of vmRun, recording what they were given. */
export interface GuestCalls {
  copies: { info: VmSshInfo; workspace: PreparedWorkspace }[];
  tooling: string[];
  sessions: { info: VmSshInfo; command: string[] | undefined }[];
}
