import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CreateVmRequest, SetVmRequest, VmStateView, VmView } from '../../../api/vms.js';
import type { Config } from '../../../domain/config.js';
import { AppError } from '../../../domain/errors.js';
import { parseSize } from '../../../domain/size.js';
import {
  newVmId,
  type VmRecord,
  validateDiskBytes,
  validateMemoryMib,
  validateVcpu,
} from '../../../domain/vm.js';
import type { HostFacts } from '../../../domain/vm-spec.js';
import type { Logger } from '../../../host/logger.js';
import type { SnapshotStore } from '../../../host/snapshots/snapshot-store.js';
import type { VmHandles } from '../../../host/vm/handles-file.js';
import type { VmRepository } from '../../../store/vm-repository.js';
import type { EmitStage } from '../../ndjson.js';
import { ActivityMonitor } from './activity.js';
import { AgentHealth } from './agent-health.js';
import { createSteps, type NewVmKeys, validateCreate } from './create-vm.js';
import { type ForkSource, forkCreateSteps, identityStep } from './fork-vm.js';
import { KeyedMutex } from './keyed-mutex.js';
import type {
  BootArtifactSource,
  GuestAgent,
  GuestIdentity,
  GuestReadiness,
  VmDisks,
  VmDriver,
  VmNetwork,
} from './ports.js';
import { reconcileVms } from './reconcile.js';
import { VmRuntime } from './runtime.js';
import { SessionService } from './sessions.js';
import { SnapshotService } from './snapshots.js';
import { startSteps, waitUntilReady } from './start-vm.js';
import { runSteps, type Step } from './steps.js';
import { stopVmm } from './stop-vm.js';
import type { TestPause } from './test-pause.js';
import { vmSshInfo, vmStats } from './vm-queries.js';
import { toVmView } from './vm-view.js';
import { WarmPool } from './warm-pool.js';

export interface VmServiceDeps {
  repo: VmRepository;
  config: Config;
  vmsDir: string;
  logger: Logger;
  driver: VmDriver;
  /** Rejects with the reason when host networking is not available (no privileges, bad bridge). */
  network: () => Promise<VmNetwork>;
  disks: VmDisks;
  images: BootArtifactSource;
  readiness: GuestReadiness;
  identity: GuestIdentity;
  agent: GuestAgent;
  /** The Firecracker binary after the version check; rejects with doctor's explanation. */
  firecrackerBin: () => Promise<string>;
  hostFacts: HostFacts;
  /** Name servers written into the guest's resolv.conf: banger's first. */
  guestDns: readonly string[];
  failpoints: ReadonlySet<string>;
  /** Test-only: stops the daemon at named points so tests can kill -9 it there (test-pause.ts). */
  testPause?: TestPause;
  /** Keeps a running VM's console and Firecracker logs size-capped; returns the stop function. */
  watchLogs?: (vmDir: string) => () => void;
  /** How long create/start wait for the guest's SSH port. */
  readyTimeoutMs: number;
  /** How long a graceful stop waits before SIGTERM. */
  stopTimeoutMs: number;
  /** Established TCP connections per guest address (host/network/tcp-connections.ts); none when absent. */
  connections?: (ips: ReadonlySet<string>) => Map<string, number>;
  /** Where `vm snapshot` keeps snapshots (host/snapshots/snapshot-store.ts). */
  snapshotStore: SnapshotStore;
  /** Where the warm pool keeps its base snapshot. */
  poolStore: SnapshotStore;
}

/**
 * The VM lifecycle. Operations on one VM are serialized (KeyedMutex by id);
 * different VMs proceed in parallel. Multi-step operations run as steps with
 * an undo stack, so a failed create or start leaves nothing behind.
 */
export class VmService {
  private readonly locks = new KeyedMutex();
  private readonly inFlight = new Map<string, VmStateView>();
  readonly runtime: VmRuntime;
  /** CPU, memory and connections of running VMs, sampled; stops idle ones when configured. */
  readonly activity: ActivityMonitor;
  /** Long-lived processes in running VMs, kept by their guest agents. */
  readonly sessions = new SessionService(this);
  /** Snapshots of running VMs (`vm snapshot`). */
  readonly snapshots: SnapshotService;
  /** Ready VMs for creates (`warm_pool_size`); undefined when the size is 0. */
  readonly pool: WarmPool | undefined;
  /** The guest agents' last answers (or silence), per running VM. */
  private readonly agentHealth: AgentHealth;
  /** The last Firecracker metrics fetched per VM, so `vm stats` asks at most once per metrics_poll_interval. */
  readonly metricsCache = new Map<string, { pid: number; at: number; metrics?: Record<string, unknown> }>();

  constructor(readonly deps: VmServiceDeps) {
    this.snapshots = new SnapshotService(this, deps.snapshotStore);
    this.pool =
      deps.config.warmPoolSize > 0
        ? new WarmPool(this, deps.poolStore, deps.config.warmPoolSize, () =>
            validateCreate(this.deps, {}, () => {}),
          )
        : undefined;
    this.runtime = new VmRuntime(
      deps.driver,
      deps.logger,
      (id, handles) => void this.onExit(id, handles),
      deps.watchLogs,
    );
    this.agentHealth = new AgentHealth(
      deps.agent,
      (id) => this.vmDir(id),
      (id) => this.runtime.get(id) !== undefined,
    );
    this.activity = new ActivityMonitor({
      running: () =>
        this.deps.repo.list().flatMap((vm) => {
          const handle = this.runtime.processHandle(vm.id);
          const startedAt = this.runtime.get(vm.id)?.startedAt ?? '';
          return handle ? [{ id: vm.id, name: vm.name, guestIp: vm.guestIp, handle, startedAt }] : [];
        }),
      usage: (handle) => this.deps.driver.stats(handle, { metrics: false }),
      connections: (ips) => this.deps.connections?.(ips) ?? new Map(),
      busy: (id) => this.locks.busy(id) || this.inFlight.has(id),
      probeAgent: (id) => this.agentHealth.runsSessions(id),
      stop: (id) => this.stopIfStillIdle(id),
      logger: deps.logger,
      stopAfterMs: deps.config.autoStopStaleAfterMs,
    });
  }

  vmDir(id: string): string {
    return join(this.deps.vmsDir, id);
  }

  view(vm: VmRecord): VmView {
    const view = toVmView(vm, this.vmDir(vm.id), this.runtime.get(vm.id), this.inFlight.get(vm.id));
    if (view.state !== 'running') return view;
    const stopAt = this.activity.autoStopAt(vm.id);
    const agent = this.agentHealth.view(vm.id);
    return {
      ...view,
      ...(stopAt !== undefined ? { autoStopAt: new Date(stopAt).toISOString() } : {}),
      ...(agent ? { agent } : {}),
    };
  }

  /** `vm show`: the view, with the guest agent asked now (at most a second) when the VM runs. */
  async showLive(ref: string): Promise<VmView> {
    const { id } = this.deps.repo.resolve(ref);
    if (this.runtime.get(id)) await this.agentHealth.probe(id);
    return this.show(id);
  }

  /** Auto-stop's stop: under the VM's lock, only if it is still running, idle, and nothing holds a connection to it. */
  private async stopIfStillIdle(id: string): Promise<boolean> {
    return this.locks.run(id, async () => {
      const vm = this.deps.repo.get(id);
      if (!vm || !this.runtime.get(id) || this.inFlight.has(id) || !this.activity.stillIdle(id)) return false;
      if ((this.deps.connections?.(new Set([vm.guestIp])).get(vm.guestIp) ?? 0) > 0) return false;
      await this.stopLocked(id);
      return true;
    });
  }

  /** Every VM but the warm pool's, unless `all`. */
  list(opts: { all?: boolean } = {}): VmView[] {
    const pooled = opts.all ? new Set<string>() : this.deps.repo.pooledIds();
    return this.deps.repo
      .list()
      .filter((vm) => !pooled.has(vm.id))
      .map((vm) => this.view(vm));
  }

  show(ref: string): VmView {
    return this.view(this.deps.repo.resolve(ref));
  }

  async create(
    req: CreateVmRequest & { wait?: boolean; pooled?: boolean },
    emit: EmitStage,
    signal?: AbortSignal,
  ) {
    const plan = await validateCreate(this.deps, req, emit, signal);
    // A create that asks only for a name (and a start) takes a ready VM from the warm pool.
    if (this.pool && !req.pooled && req.start !== false && !plan.nat && this.pool.matches(plan)) {
      const taken = await this.pool.take(plan.name, emit);
      if (taken) return { vm: this.show(taken), spec: plan.sizing };
    }
    // A pool that could not fill (no image yet, a failed boot) tries again with each create.
    if (!req.pooled) this.pool?.refill();
    const { id } = plan;
    return this.locks.run(id, async () => {
      this.inFlight.set(id, 'creating');
      try {
        const steps: Step[] = createSteps(this.deps, plan, this.vmDir(id), req.pooled);
        if (req.start !== false) steps.push(...this.startStepsFor(id, plan.artifacts, true));
        await runSteps(steps, this.stepOptions('create', emit, signal));
        // Until here the row is marked creating: a daemon killed before this line leaves a half-made VM that the next one removes.
        this.deps.repo.finishCreate(id, req.start !== false ? 'running' : 'stopped');
      } finally {
        this.inFlight.delete(id);
      }
      if (req.start !== false && req.wait !== false) {
        try {
          await this.awaitReady(id, emit, signal);
        } catch (err) {
          // A create the caller gave up on leaves nothing; one whose guest timed out stays for inspection.
          if (signal?.aborted) await this.deleteLocked(this.mustGet(id));
          throw err;
        }
      }
      return { vm: this.show(id), spec: plan.sizing };
    });
  }

  async start(ref: string, emit: EmitStage, opts: { wait?: boolean; signal?: AbortSignal } = {}) {
    const { id } = this.deps.repo.resolve(ref);
    return this.locks.run(id, async () => {
      const vm = this.mustGet(id);
      if (!this.runtime.get(id)) {
        const artifacts = this.deps.images.resolve(vm.image);
        this.inFlight.set(id, 'starting');
        try {
          await runSteps(this.startStepsFor(id, artifacts), this.stepOptions('start', emit, opts.signal));
          this.deps.repo.setDesiredState(id, 'running');
        } catch (err) {
          this.deps.repo.setDesiredState(id, 'stopped', (err as Error).message);
          throw err;
        } finally {
          this.inFlight.delete(id);
        }
      }
      if (opts.wait !== false) await this.awaitReady(id, emit, opts.signal);
      return this.show(id);
    });
  }

  async stop(ref: string): Promise<VmView> {
    const { id } = this.deps.repo.resolve(ref);
    return this.locks.run(id, async () => {
      await this.stopLocked(id);
      return this.show(id);
    });
  }

  async restart(ref: string, emit: EmitStage, opts: { wait?: boolean; signal?: AbortSignal } = {}) {
    await this.stop(ref);
    return this.start(ref, emit, opts);
  }

  /** Sends a signal to the VM's Firecracker; after KILL or TERM the VM is stopped and released. */
  async kill(ref: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<VmView> {
    const { id } = this.deps.repo.resolve(ref);
    return this.locks.run(id, async () => {
      const handle = this.runtime.processHandle(id);
      if (!handle) throw new AppError('conflict', `VM ${this.mustGet(id).name} is not running`);
      await this.deps.driver.kill(handle, signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await this.release(id, undefined);
      return this.show(id);
    });
  }

  /** Stops the VM if it runs, then removes its disks, directory, TAP, rules, DNS record and address. */
  async delete(ref: string): Promise<{ id: string; name: string }> {
    const vm = this.deps.repo.resolve(ref);
    return this.locks.run(vm.id, () => this.deleteLocked(vm));
  }

  private async deleteLocked(vm: VmRecord): Promise<{ id: string; name: string }> {
    this.inFlight.set(vm.id, 'stopping');
    try {
      await this.stopLocked(vm.id);
      await rm(this.vmDir(vm.id), { recursive: true, force: true });
      await this.deps.identity.forget([vm.id, vm.guestIp, `${vm.name}.vm`]);
      this.deps.repo.delete(vm.id);
    } finally {
      this.inFlight.delete(vm.id);
    }
    this.deps.logger.info({ vmId: vm.id, name: vm.name }, 'vm deleted');
    return { id: vm.id, name: vm.name };
  }

  /** `vm set`: NAT applies at once; vCPU, memory and disk size need a stopped VM (Firecracker fixes them at boot). */
  async set(ref: string, req: SetVmRequest): Promise<VmView> {
    const { id } = this.deps.repo.resolve(ref);
    return this.locks.run(id, async () => {
      const vm = this.mustGet(id);
      const running = this.runtime.get(id) !== undefined;
      const sizing = {
        ...(req.vcpu !== undefined ? { vcpu: validateVcpu(req.vcpu) } : {}),
        ...(req.memoryMib !== undefined ? { memoryMib: validateMemoryMib(req.memoryMib) } : {}),
        ...(req.diskSize !== undefined
          ? { diskBytes: validateDiskBytes(parseSize(req.diskSize, 'disk size'), req.diskSize) }
          : {}),
      };
      if (running && Object.keys(sizing).length > 0) {
        throw new AppError(
          'conflict',
          `VM ${vm.name} is running; vCPU, memory and disk size change only while stopped: \`banger vm stop ${vm.name}\` first`,
        );
      }
      if (sizing.diskBytes !== undefined) {
        if (sizing.diskBytes < vm.diskBytes) {
          throw new AppError(
            'invalid_argument',
            `disk size can only grow: ${vm.name} has ${vm.diskBytes} bytes, ${req.diskSize} is smaller`,
          );
        }
        await this.deps.disks.growWorkDisk(join(this.vmDir(id), 'work.ext4'), sizing.diskBytes);
      }
      if (Object.keys(sizing).length > 0) this.deps.repo.setSizing(id, sizing);
      if (req.nat !== undefined && req.nat !== vm.nat) {
        if (running)
          await (await this.deps.network()).setNat({ vmId: id, guestIp: vm.guestIp, nat: req.nat });
        this.deps.repo.setNat(id, req.nat);
      }
      return this.show(id);
    });
  }

  /** How a UI reaches the running guest over SSH. */
  sshInfo(ref: string) {
    return vmSshInfo(this, ref);
  }

  /** Host-side numbers: the Firecracker process, the disks, Firecracker's metrics. */
  stats(ref: string) {
    return vmStats(this, ref);
  }

  /** Daemon start, before serving: adopt, stop strays, remove unfinished creates (see reconcile.ts). */
  reconcile() {
    return reconcileVms(this);
  }

  /**
   * `vm fork`: a new VM restored from snapshot files and given its own
   * identity (fork-vm.ts), made like a create: every step undone on failure,
   * the row marked creating until the end. The caller owns `source`'s files.
   */
  async forkFrom(
    source: ForkSource,
    req: { name: string; nat: boolean; wait?: boolean; pooled?: boolean },
    emit: EmitStage,
    signal?: AbortSignal,
  ): Promise<VmView> {
    const artifacts = this.deps.images.resolve(source.image);
    const id = newVmId();
    const dir = this.vmDir(id);
    return this.locks.run(id, async () => {
      this.inFlight.set(id, 'creating');
      const keys: NewVmKeys = {};
      const vm = {
        id,
        name: req.name,
        image: source.image,
        nat: req.nat,
        pooled: req.pooled === true,
        ...sizingOf(source),
      };
      try {
        const restore = { statePath: source.statePath, memPath: source.memPath };
        const steps = [
          ...forkCreateSteps(this.deps, vm, dir, keys, source, this.deps.snapshotStore),
          ...this.startStepsFor(id, artifacts, true, restore),
          identityStep(this.deps, this.mustGet.bind(this, id), dir, keys),
        ];
        await runSteps(steps, this.stepOptions('fork', emit, signal));
        this.deps.repo.finishCreate(id, 'running');
      } finally {
        this.inFlight.delete(id);
      }
      if (req.wait !== false) await this.awaitReady(id, emit, signal);
      this.deps.logger.info({ vmId: id, name: req.name }, 'vm forked');
      return this.show(id);
    });
  }

  /** `firstStart`: the VM is being created, so it has never run; `restore`: a fork (start-vm.ts). */
  private startStepsFor(
    id: string,
    artifacts: Parameters<typeof startSteps>[2],
    firstStart = false,
    restore?: { statePath: string; memPath: string },
  ): Step[] {
    return startSteps(
      this.deps,
      this.runtime,
      artifacts,
      this.mustGet.bind(this, id),
      this.vmDir(id),
      firstStart,
      restore,
    );
  }

  private async awaitReady(id: string, emit: EmitStage, signal?: AbortSignal): Promise<void> {
    try {
      const handle = this.runtime.processHandle(id);
      const exited = handle ? this.deps.driver.waitExit(handle) : undefined;
      await waitUntilReady(this.deps, this.mustGet(id), this.vmDir(id), emit, signal, exited);
    } catch (err) {
      this.deps.repo.setDesiredState(id, 'running', (err as Error).message);
      throw err;
    }
  }

  private async stopLocked(id: string): Promise<void> {
    const handle = this.runtime.processHandle(id);
    const marked = handle !== undefined && !this.inFlight.has(id);
    if (marked) this.inFlight.set(id, 'stopping');
    try {
      if (handle) {
        await stopVmm(this.deps, {
          id,
          dir: this.vmDir(id),
          handle,
          agentSeen: this.agentHealth.answeredSinceStart(id),
        });
      }
      await this.release(id, undefined);
    } finally {
      if (marked) this.inFlight.delete(id);
    }
  }

  /** After the process is gone: TAP and rules released, handles dropped, VM recorded as stopped. */
  private async release(id: string, lastError: string | undefined): Promise<void> {
    const had = this.runtime.get(id);
    this.runtime.forget(id, this.vmDir(id));
    this.metricsCache.delete(id);
    this.agentHealth.forget(id);
    if (had) await (await this.deps.network()).detach(id);
    if (this.deps.repo.get(id)) this.deps.repo.setDesiredState(id, 'stopped', lastError);
  }

  private async onExit(id: string, handles: VmHandles): Promise<void> {
    await this.locks.run(id, async () => {
      if (this.runtime.get(id)?.pid !== handles.pid) return;
      await this.release(id, undefined).catch((err: unknown) =>
        this.deps.logger.warn({ vmId: id, err }, 'releasing an exited VM failed'),
      );
    });
  }

  private mustGet(id: string): VmRecord {
    const vm = this.deps.repo.get(id);
    if (!vm) throw new AppError('not_found', `VM ${id} no longer exists; see \`banger vm list\``);
    return vm;
  }

  /** Runs `fn` under the VM's lock, after the operations on it before and before those after. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  /** How a multi-step operation reports its steps (progress, log, test pause seam, failpoints). */
  stepOptions(operation: string, emit: EmitStage, signal?: AbortSignal) {
    return {
      operation,
      failpoints: this.deps.failpoints,
      ...(signal ? { signal } : {}),
      onStep: (s: Step) => emit({ stage: s.name, message: s.message }),
      beforeStep: async (s: Step) => this.deps.testPause?.(`${operation}:${s.name}`),
      onDone: (s: Step, ms: number) => this.deps.logger.info({ operation, step: s.name, ms }, 'step done'),
      onUndoError: (s: Step, err: unknown) =>
        this.deps.logger.warn({ operation, step: s.name, err }, 'undo failed'),
    };
  }
}

/** A fork's sizing is its snapshot's: Firecracker restores the machine as it was. */
function sizingOf(source: ForkSource): { vcpu: number; memoryMib: number; diskBytes: number } {
  return { vcpu: source.vcpu, memoryMib: source.memoryMib, diskBytes: source.diskBytes };
}
