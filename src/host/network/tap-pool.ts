import { AppError } from '../../domain/errors.js';
import {
  POOL_INDEX_LIMIT,
  POOL_TAP_ALIAS,
  parsePoolTapName,
  poolTapName,
  tapNameForVm,
  vmTag,
} from '../../domain/network.js';
import { CommandError, type Runner } from '../runner.js';
import { getLink, listLinks } from './links.js';
import type { NetworkLog } from './log.js';
import type { PrivilegedRunner } from './privileged.js';
import { createTap, deleteTap, renameTap } from './tap.js';

export interface TapPoolOptions {
  runner: Runner;
  priv: PrivilegedRunner;
  bridge: string;
  /** Owner of every TAP (and part of its name): the daemon's uid, so Firecracker opens them unprivileged. */
  uid: number;
  /** Idle TAPs kept warm (`tap_pool_size`). 0 disables the pool. */
  size?: number;
  log: NetworkLog;
}

const DEFAULT_TAP_POOL_SIZE = 4;

/**
 * The VMs' TAPs, with a warm pool of idle ones named `poolTapName(n, uid)` (alias
 * `banger-pool`, down, attached to the bridge) so a create does not wait
 * for TAP creation. Pool TAPs are capacity, not leaks: they survive daemon
 * restarts and are adopted by `start`.
 *
 * Contracts: concurrent `acquire`s for different VMs get different TAPs;
 * `release` is idempotent; refilling runs in the background, one TAP at a
 * time, and logs its failures (retried at the next acquire).
 */
export class TapPool {
  private readonly idle: string[] = [];
  /** Indexes whose pool name is in use by us: idle, being created, or being renamed. */
  private readonly taken = new Set<number>();
  /** Pool TAPs being created by the refill loop (0 or 1). */
  private creating = 0;
  /** Pool TAPs taken from `idle` by an acquire that is renaming them. */
  private renaming = 0;
  /** The user name of `uid`, looked up once; '' when it has none. */
  private ownerName: string | undefined;
  /** Indexes whose name is held by an interface banger does not own. */
  private readonly foreign = new Set<number>();
  private refilling: Promise<void> | undefined;
  private stopped = false;
  readonly size: number;

  constructor(private readonly o: TapPoolOptions) {
    this.size = o.size ?? DEFAULT_TAP_POOL_SIZE;
  }

  get uid(): number {
    return this.o.uid;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Adopts the pool TAPs a previous daemon left (deleting stale ones of ours), then starts refilling. */
  async start(): Promise<void> {
    const { bridge } = this.o;
    for (const link of await listLinks(this.o.runner, this.o.priv.tools.ip)) {
      const index = parsePoolTapName(link.name, this.o.uid);
      if (index === undefined) continue;
      if (link.alias !== POOL_TAP_ALIAS || link.kind !== 'tun' || link.tunType !== 'tap') {
        this.foreign.add(index); // a look-alike banger did not make: never touched
        continue;
      }
      const usable = (await this.isOwner(link.tunOwner)) && link.master === bridge && !link.up;
      if (usable && this.idle.length < this.size) {
        this.idle.push(link.name);
        this.taken.add(index);
      } else {
        await deleteTap(this.o.priv, link.name);
      }
    }
    this.scheduleRefill();
  }

  /**
   * Gives the VM its TAP (`tapNameForVm`), up, attached, tagged
   * `banger:<vm id>`: a renamed pool TAP when one is idle, else a new one.
   * A TAP of that VM that already exists and is not in use is reused.
   */
  async acquire(vmId: string): Promise<string> {
    const tap = tapNameForVm(vmId, this.o.uid);
    const tag = vmTag(vmId);
    for (let pooled = this.idle.shift(); pooled !== undefined; pooled = this.idle.shift()) {
      const outcome = await this.renamePooled(pooled, tap, tag);
      this.scheduleRefill();
      if (outcome === 'renamed') return tap;
      if (outcome !== 'discarded') return this.reuseExisting(vmId, tap, outcome.cause);
    }
    this.scheduleRefill();
    try {
      await createTap(this.o.priv, {
        name: tap,
        uid: this.o.uid,
        bridge: this.o.bridge,
        alias: tag,
        up: true,
      });
    } catch (err) {
      return this.reuseExisting(vmId, tap, err);
    }
    return tap;
  }

  /** Deletes the VM's TAP. Idempotent: false when there was none. */
  async release(vmId: string): Promise<boolean> {
    return deleteTap(this.o.priv, tapNameForVm(vmId, this.o.uid));
  }

  /** Resolves when the background refill (if any) has finished. */
  async settled(): Promise<void> {
    while (this.refilling) await this.refilling;
  }

  /** Stops refilling and waits for it. Idle TAPs stay: the next daemon adopts them. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  /** Stops and deletes every idle pool TAP (uninstall, tests). */
  async drain(): Promise<void> {
    await this.stop();
    for (let name = this.idle.shift(); name !== undefined; name = this.idle.shift()) {
      await deleteTap(this.o.priv, name);
      this.taken.delete(parsePoolTapName(name, this.o.uid) ?? -1);
    }
  }

  /**
   * Renames one idle pool TAP to the VM's TAP. While it runs the TAP counts
   * as borrowed, so the refill loop neither overfills nor reuses its index.
   * 'discarded': the pool TAP was unusable and is gone; `{ cause }`: the
   * VM's TAP already exists (the pool TAP went back to idle).
   */
  private async renamePooled(
    pooled: string,
    tap: string,
    tag: string,
  ): Promise<'renamed' | 'discarded' | { cause: unknown }> {
    const index = parsePoolTapName(pooled, this.o.uid) ?? -1;
    this.renaming++;
    try {
      await renameTap(this.o.priv, pooled, tap, tag);
      this.taken.delete(index);
      return 'renamed';
    } catch (err) {
      if (!(err instanceof CommandError)) {
        this.idle.unshift(pooled); // e.g. sudo refused: the pool TAP is fine, the privilege is missing
        throw err;
      }
      if ((await getLink(this.o.runner, this.o.priv.tools.ip, tap)) !== undefined) {
        this.idle.unshift(pooled);
        return { cause: err };
      }
      this.o.log.warn({ err, tap: pooled }, 'pool TAP unusable; discarding it');
      await deleteTap(this.o.priv, pooled).catch(() => false);
      this.taken.delete(index);
      return 'discarded';
    } finally {
      this.renaming--;
    }
  }

  /** True when a TAP owner as `ip -j` prints it (uid or user name) is our uid. */
  private async isOwner(owner: number | string | undefined): Promise<boolean> {
    if (owner === undefined) return false;
    if (typeof owner === 'number' || /^\d+$/.test(owner)) return Number(owner) === this.o.uid;
    if (this.ownerName === undefined) {
      // getent asks NSS, like ip did when it turned the uid into a name.
      const entry = await this.o.runner.run(['getent', 'passwd', String(this.o.uid)], { check: false });
      this.ownerName = entry.exitCode === 0 ? (entry.stdout.split(':')[0] ?? '') : '';
    }
    return owner === this.ownerName;
  }

  private async reuseExisting(vmId: string, tap: string, cause: unknown): Promise<string> {
    const link = await getLink(this.o.runner, this.o.priv.tools.ip, tap);
    if (link?.alias !== vmTag(vmId) || link.kind !== 'tun' || !(await this.isOwner(link.tunOwner)))
      throw cause;
    if (link.master !== this.o.bridge || !link.up) {
      await this.o.priv.run('ip', [
        'link',
        'set',
        'dev',
        tap,
        'master',
        this.o.bridge,
        'alias',
        vmTag(vmId),
        'up',
      ]);
    }
    return tap;
  }

  private needsRefill(): boolean {
    return !this.stopped && this.idle.length + this.creating + this.renaming < this.size;
  }

  /**
   * Starts the refill loop unless it runs or nothing is missing. Each run
   * creates at least one TAP, because `refill` checks the same condition
   * synchronously before its first await; so rescheduling cannot spin.
   */
  private scheduleRefill(): void {
    if (this.refilling || !this.needsRefill()) return;
    let failed = false;
    this.refilling = this.refill()
      .catch((err: unknown) => {
        failed = true;
        this.o.log.warn({ err }, 'could not refill the TAP pool; retrying at the next VM start');
      })
      .finally(() => {
        this.refilling = undefined;
        if (!failed) this.scheduleRefill(); // an acquire may have emptied a slot after the loop's last check
      });
  }

  private async refill(): Promise<void> {
    while (this.needsRefill()) {
      const index = this.nextIndex();
      const name = poolTapName(index, this.o.uid);
      this.taken.add(index);
      this.creating++;
      try {
        await createTap(this.o.priv, {
          name,
          uid: this.o.uid,
          bridge: this.o.bridge,
          alias: POOL_TAP_ALIAS,
          up: false,
        });
      } catch (err) {
        this.creating--;
        this.taken.delete(index);
        if ((await getLink(this.o.runner, this.o.priv.tools.ip, name)) !== undefined) {
          this.foreign.add(index); // someone else's interface has this name: skip the index
          continue;
        }
        throw err;
      }
      this.creating--;
      this.idle.push(name);
    }
  }

  private nextIndex(): number {
    for (let i = 0; i < POOL_INDEX_LIMIT; i++) {
      if (!this.taken.has(i) && !this.foreign.has(i)) return i;
    }
    throw new AppError('internal', 'no free TAP pool index');
  }
}
