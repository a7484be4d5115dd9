import type { SnapshotInfo } from '../../../api/snapshots.js';
import type { VmView } from '../../../api/vms.js';
import { AppError } from '../../../domain/errors.js';
import { type VmRecord, validateVmName } from '../../../domain/vm.js';
import type { SnapshotRecord, SnapshotStore } from '../../../host/snapshots/snapshot-store.js';
import type { EmitStage } from '../../ndjson.js';
import { runGuestScript } from './guest-script.js';
import { generateVmName } from './names.js';
import {
  captureSteps,
  defaultSnapshotName,
  mustBeRunning,
  resumePausedVms,
  snapshotSteps,
  validateSnapshotName,
} from './snapshot-vm.js';
import { runSteps } from './steps.js';
import type { VmService } from './vm-service.js';

/** How long a fork's source gets to send its one packet. */
const ANNOUNCE_TIMEOUT_MS = 10_000;

/**
 * Snapshots of running VMs (`vm snapshot`): managed artifacts under the
 * state dir, written under the VM's lock while it is paused for a moment.
 */
export class SnapshotService {
  /** Snapshots a fork is being restored from: deleting one waits for nothing, it is refused. */
  private readonly inUse = new Map<string, number>();

  constructor(
    private readonly vms: VmService,
    private readonly store: SnapshotStore,
  ) {}

  async create(
    ref: string,
    name: string | undefined,
    emit: EmitStage,
    signal?: AbortSignal,
  ): Promise<SnapshotInfo> {
    const resolved = this.vms.deps.repo.resolve(ref);
    const snapshotName = name === undefined ? defaultSnapshotName(resolved.name) : validateSnapshotName(name);
    return this.vms.withLock(resolved.id, async () => {
      const vm = this.vms.deps.repo.resolve(resolved.id);
      const handle = mustBeRunning(vm, this.vms.runtime.processHandle(vm.id));
      if (await this.store.exists(snapshotName)) {
        throw new AppError(
          'conflict',
          `a snapshot named "${snapshotName}" exists; pick another --name or \`banger vm snapshot delete ${snapshotName}\``,
        );
      }
      const artifacts = this.vms.deps.images.resolve(vm.image);
      let record: SnapshotRecord | undefined;
      const ctx = { store: this.store, vmDir: this.vms.vmDir(vm.id), handle, artifacts };
      await runSteps(
        snapshotSteps(vm, snapshotName, ctx, (r) => {
          record = r;
        }),
        this.vms.stepOptions('snapshot', emit, signal),
      );
      if (!record) throw new AppError('internal', 'snapshot: not committed');
      this.vms.deps.logger.info({ vmId: vm.id, snapshot: snapshotName }, 'snapshot written');
      return this.info(record);
    });
  }

  async list(): Promise<SnapshotInfo[]> {
    return (await this.store.list()).map((r) => this.info(r));
  }

  async show(name: string): Promise<SnapshotInfo> {
    return this.info(await this.store.get(name));
  }

  async delete(name: string): Promise<{ name: string }> {
    if (this.inUse.has(name))
      throw new AppError(
        'conflict',
        `snapshot ${name} is in use by a fork being made; try again when it is done`,
      );
    await this.store.delete(name);
    this.vms.deps.logger.info({ snapshot: name }, 'snapshot deleted');
    return { name };
  }

  /**
   * `vm fork SOURCE`: a new VM from a running VM (captured now, paused for a
   * moment, the capture removed after) or from a snapshot (a VM by that name
   * or id prefix wins). Its name, address, MAC, host key and machine-id are
   * its own; its memory, processes and disks are the source's.
   */
  async fork(
    sourceRef: string,
    req: { name?: string; nat?: boolean; wait?: boolean },
    emit: EmitStage,
    signal?: AbortSignal,
  ): Promise<VmView> {
    const repo = this.vms.deps.repo;
    const name =
      req.name === undefined
        ? generateVmName((n) => repo.ipForName(n) !== undefined)
        : validateVmName(req.name);
    if (repo.ipForName(name) !== undefined)
      throw new AppError('conflict', `a VM named "${name}" exists; pick another --name`);
    const target = { name, nat: req.nat ?? false, ...(req.wait !== undefined ? { wait: req.wait } : {}) };
    const vm = this.findVm(sourceRef);
    if (vm) {
      const staging = await this.vms.withLock(vm.id, async () => {
        const current = repo.resolve(vm.id);
        const handle = mustBeRunning(current, this.vms.runtime.processHandle(vm.id));
        const artifacts = this.vms.deps.images.resolve(current.image);
        const capture = captureSteps(current, `fork-${name}`, {
          store: this.store,
          vmDir: this.vms.vmDir(vm.id),
          handle,
          artifacts,
        });
        await runSteps(capture.steps, this.vms.stepOptions('fork', emit, signal));
        return capture.staging();
      });
      try {
        return await this.vms.forkFrom({ ...staging, ...sourceSizing(vm) }, target, emit, signal);
      } finally {
        await this.store.discard(staging);
        await this.announce(vm.id);
      }
    }
    const record = await this.store.get(sourceRef).catch(() => {
      throw new AppError(
        'not_found',
        `no VM or snapshot named "${sourceRef}"; \`banger vm list\` and \`banger vm snapshot list\` show them`,
      );
    });
    this.inUse.set(record.name, (this.inUse.get(record.name) ?? 0) + 1);
    try {
      const files = this.store.files(record.name);
      return await this.vms.forkFrom({ ...files, ...sourceSizing(record) }, target, emit, signal);
    } finally {
      await this.announce(record.source.vmId);
      const left = (this.inUse.get(record.name) ?? 1) - 1;
      if (left > 0) this.inUse.set(record.name, left);
      else this.inUse.delete(record.name);
    }
  }

  /**
   * A fork wakes up with its source's MAC and address and may send with them
   * before it takes its own: the bridge then delivers the source's traffic to
   * the fork. The source, when it runs, sends one packet to the gateway so
   * the bridge learns its port again (best effort: a silent guest relearns
   * with its next packet).
   */
  private async announce(vmId: string): Promise<void> {
    if (!this.vms.runtime.processHandle(vmId)) return;
    const gateway = this.vms.deps.config.bridgeIp;
    const script = `ping -c 1 -W 1 ${gateway} > /dev/null 2>&1 || true\n`;
    await runGuestScript(this.vms.deps.agent, this.vms.vmDir(vmId), script, ANNOUNCE_TIMEOUT_MS).catch(
      (err: unknown) =>
        this.vms.deps.logger.warn({ vmId, err }, 'the fork source did not re-announce itself'),
    );
  }

  /** The VM `ref` names, or undefined when no VM does (an ambiguous prefix still fails). */
  private findVm(ref: string): VmRecord | undefined {
    try {
      return this.vms.deps.repo.resolve(ref);
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  /**
   * Daemon start, after the VMs are adopted: removes the staging directories
   * of snapshots a killed daemon did not finish, and resumes the VMs it left paused.
   */
  async reconcile(): Promise<void> {
    const removed = await this.store.removeStale();
    const running = [...this.vms.runtime.runningIds()].flatMap((id) => {
      const handle = this.vms.runtime.processHandle(id);
      return handle ? [{ id, handle }] : [];
    });
    const resumed = await resumePausedVms(running);
    if (removed.length > 0 || resumed.length > 0)
      this.vms.deps.logger.warn({ removed, resumed }, 'cleaned up after an unfinished snapshot');
  }

  private info(r: SnapshotRecord): SnapshotInfo {
    return {
      name: r.name,
      createdAt: r.createdAt,
      source: r.source,
      image: r.image,
      vcpu: r.vcpu,
      memoryMib: r.memoryMib,
      diskBytes: r.diskBytes,
      sizeBytes: r.sizeBytes,
      path: this.store.path(r.name),
    };
  }
}

/** What a fork copies from its source, a VM or a snapshot record. */
function sourceSizing(s: { image: string; vcpu: number; memoryMib: number; diskBytes: number }) {
  return { image: s.image, vcpu: s.vcpu, memoryMib: s.memoryMib, diskBytes: s.diskBytes };
}
