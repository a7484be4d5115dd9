import type { SnapshotInfo } from '../../../api/snapshots.js';
import { AppError } from '../../../domain/errors.js';
import type { SnapshotRecord, SnapshotStore } from '../../../host/snapshots/snapshot-store.js';
import type { EmitStage } from '../../ndjson.js';
import {
  defaultSnapshotName,
  mustBeRunning,
  resumePausedVms,
  snapshotSteps,
  validateSnapshotName,
} from './snapshot-vm.js';
import { runSteps } from './steps.js';
import type { VmService } from './vm-service.js';

/**
 * Snapshots of running VMs (`vm snapshot`): managed artifacts under the
 * state dir, written under the VM's lock while it is paused for a moment.
 */
export class SnapshotService {
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
    await this.store.delete(name);
    this.vms.deps.logger.info({ snapshot: name }, 'snapshot deleted');
    return { name };
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
