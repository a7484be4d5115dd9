import { randomBytes } from 'node:crypto';
import { AppError } from '../../../domain/errors.js';
import type { SnapshotRecord, SnapshotStore } from '../../../host/snapshots/snapshot-store.js';
import type { EmitStage } from '../../ndjson.js';
import type { CreatePlan } from './create-vm.js';
import { identityStep } from './fork-vm.js';
import { snapshotSteps } from './snapshot-vm.js';
import { runSteps } from './steps.js';
import type { VmService } from './vm-service.js';

/** The pool's snapshot, in its own store (not among the user's snapshots). */
const BASE = 'base';
const quiet: EmitStage = () => {};
/** How long after a take the pool refills. */
const REFILL_DELAY_MS = 10_000;
/** After a failed fill, the pool tries again after this long, doubling up to LAST_RETRY_MS. */
const FIRST_RETRY_MS = 30_000;
const LAST_RETRY_MS = 600_000;

/** A pool VM's name until a create takes it: `pool-` and 8 hex digits (the base VM's: `pool-base-…`). */
const poolName = (kind = 'pool') => `${kind}-${randomBytes(4).toString('hex')}`;

/**
 * The warm pool (`warm_pool_size`): VMs of the default image and sizing,
 * restored from one snapshot of a booted VM and kept running, out of lists.
 * A create that asks for nothing else takes one instead of booting: the VM
 * is renamed and given a new host key inside (its address stays), then the
 * pool refills in the background. With size 0 nothing of this runs.
 */
export class WarmPool {
  private filling: Promise<void> | undefined;
  private retryMs = FIRST_RETRY_MS;
  /** The base snapshot's record, once known to match the default image and sizing. */
  private base: SnapshotRecord | undefined;

  constructor(
    private readonly vms: VmService,
    private readonly store: SnapshotStore,
    private readonly size: number,
    /** The image and sizing a create without options gets (validateCreate with an empty request). */
    private readonly defaults: () => Promise<CreatePlan>,
  ) {}

  /**
   * Tops the pool up in the background; one fill at a time. A fill that
   * failed (a busy host, an image being built) is tried again later, after
   * 30 s, then twice as long each time up to 10 minutes.
   */
  refill(): void {
    if (this.size === 0 || this.filling) return;
    this.filling = this.fill()
      .then(() => {
        this.retryMs = FIRST_RETRY_MS;
      })
      .catch((err: unknown) => {
        this.vms.deps.logger.warn({ err, retryInMs: this.retryMs }, 'warm pool: could not refill');
        setTimeout(() => this.refill(), this.retryMs).unref();
        this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
      })
      .finally(() => {
        this.filling = undefined;
      });
  }

  /** Whether a create with this plan can take a pool VM: the default image and sizing. */
  matches(plan: CreatePlan): boolean {
    const b = this.base;
    return (
      b !== undefined &&
      b.image === plan.artifacts.image &&
      b.rootfs === plan.artifacts.rootfs &&
      b.vcpu === plan.sizing.vcpu.value &&
      b.memoryMib === plan.sizing.memoryMib.value &&
      b.diskBytes === plan.sizing.diskBytes.value
    );
  }

  /**
   * Takes a ready pool VM for a create named `name`: renamed, a new host key
   * trusted and installed by its agent with the new hostname. Returns its id,
   * or undefined when none is ready (the create then boots one). A pool VM
   * that fails this is deleted.
   */
  async take(name: string, emit: EmitStage): Promise<string | undefined> {
    const { repo, identity } = this.vms.deps;
    for (const id of repo.pooledIds()) {
      const taken = await this.vms
        .withLock(id, async () => {
          const vm = repo.get(id);
          if (!vm || !repo.pooledIds().has(id) || !this.vms.runtime.processHandle(id)) return undefined;
          emit({ stage: 'pool', message: 'taking a ready VM from the warm pool' });
          repo.rename(id, name);
          const keys = { host: await identity.newHostKey() };
          await identity.forget([`${vm.name}.vm`]);
          await identity.trust(id, [vm.guestIp, `${name}.vm`], keys.host.publicKey);
          const step = identityStep(this.vms.deps, () => repo.resolve(id), this.vms.vmDir(id), keys, false);
          emit({ stage: step.name, message: step.message });
          await step.run();
          repo.setPooled(id, false);
          return id;
        })
        .catch(async (err: unknown) => {
          if (err instanceof AppError && err.code === 'conflict') throw err; // the name is taken: the create fails
          this.vms.deps.logger.warn(
            { vmId: id, err },
            'warm pool: a pool VM could not be taken; deleting it',
          );
          await this.vms.delete(id).catch(() => undefined);
          return undefined;
        });
      if (taken) {
        this.vms.deps.logger.info({ vmId: taken, name }, 'warm pool: VM taken');
        // Later, not now: a refill restores and boots a VM, which would compete for the host's
        // CPUs with the VM just handed out, whose first command is about to run.
        setTimeout(() => this.refill(), REFILL_DELAY_MS).unref();
        return taken;
      }
    }
    return undefined;
  }

  private async fill(): Promise<void> {
    const { repo } = this.vms.deps;
    const base = await this.ensureBase();
    // Pool VMs that stopped (a host reboot) are of no use: remove them.
    for (const id of repo.pooledIds()) {
      if (!this.vms.runtime.processHandle(id)) await this.vms.delete(id).catch(() => undefined);
    }
    while (repo.pooledIds().size < this.size) {
      const vm = await this.vms.forkFrom(
        { ...this.store.files(BASE), ...base },
        { name: poolName(), nat: false, pooled: true },
        quiet,
      );
      this.vms.deps.logger.info({ vmId: vm.id, name: vm.name }, 'warm pool: VM ready');
    }
  }

  /**
   * The base snapshot: a VM of the default image and sizing, booted, then
   * captured once and deleted. Made again when the default changed (and the
   * pool VMs of the old one are removed).
   */
  private async ensureBase(): Promise<SnapshotRecord> {
    const plan = await this.defaults();
    const existing = await this.store.get(BASE).catch(() => undefined);
    this.base = existing;
    if (existing && this.matches(plan)) return existing;
    this.base = undefined;
    for (const id of this.vms.deps.repo.pooledIds()) await this.vms.delete(id).catch(() => undefined);
    if (existing) await this.store.delete(BASE);
    const { vm } = await this.vms.create({ name: poolName('pool-base'), pooled: true }, quiet);
    try {
      const record = await this.vms.withLock(vm.id, async () => {
        const handle = this.vms.runtime.processHandle(vm.id);
        if (!handle) throw new AppError('operation_failed', 'the warm pool base VM stopped');
        let saved: SnapshotRecord | undefined;
        const ctx = { store: this.store, vmDir: this.vms.vmDir(vm.id), handle, artifacts: plan.artifacts };
        const steps = snapshotSteps(this.vms.deps.repo.resolve(vm.id), BASE, ctx, (r) => {
          saved = r;
        });
        await runSteps(steps, this.vms.stepOptions('pool-base', quiet));
        if (!saved) throw new AppError('internal', 'warm pool: base not saved');
        return saved;
      });
      this.base = record;
      return record;
    } finally {
      await this.vms.delete(vm.id).catch(() => undefined);
    }
  }
}
