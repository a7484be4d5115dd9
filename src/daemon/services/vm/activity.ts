import type { Logger } from '../../../host/logger.js';
import type { ProcessHandle } from './ports.js';

/** Below this share of one host CPU, averaged over a sampling interval, a VM counts as idle. */
export const IDLE_CPU_PERCENT = 2;

/** What the monitor needs to know of one running VM. */
export interface RunningVm {
  id: string;
  name: string;
  guestIp: string;
  handle: ProcessHandle;
  /** ISO time the VM's Firecracker started: a fresh start counts as activity. */
  startedAt: string;
}

export interface ActivitySample {
  pid: number;
  at: number;
  cpuSeconds: number;
  rssBytes: number;
  /** Share of one host CPU since the previous sample; absent on the first. */
  cpuPercent?: number;
  /** Established TCP connections between this host and the guest. */
  connections: number;
  /** The last time the VM was seen doing something (or started). */
  lastActiveAt: number;
}

export interface ActivityDeps {
  running(): RunningVm[];
  /** CPU seconds and RSS of the VM's Firecracker; rejects when it is gone. */
  usage(handle: ProcessHandle): Promise<{ cpuSeconds: number; rssBytes: number }>;
  /** Established connections per guest address (tcp-connections.ts). */
  connections(ips: ReadonlySet<string>): Map<string, number>;
  /** True while an operation (start, stop, set...) holds or waits for the VM. */
  busy(id: string): boolean;
  /**
   * Asks the VM's guest agent how it is (the service keeps the answer); run
   * with each sample. Resolves true when the guest has running sessions,
   * which count as activity.
   */
  probeAgent?(id: string): Promise<boolean>;
  /**
   * Stops the VM the way `vm stop` does, unless it turned active since the
   * decision (the service checks again under the VM's lock, see stillIdle);
   * resolves whether it stopped it.
   */
  stop(id: string): Promise<boolean>;
  logger: Logger;
  /** Stop VMs idle for this long; undefined never stops anything. */
  stopAfterMs: number | undefined;
  now?: () => number;
}

/**
 * Samples every running VM at a fixed interval: CPU share, RSS and open
 * connections. A VM is active in a sample when its Firecracker used at
 * least IDLE_CPU_PERCENT of a CPU, anything on the host has a TCP
 * connection with it (an SSH session, a browser on a dev server), its guest
 * agent runs sessions, or an operation is in progress on it; `touch` (a
 * session request) counts too. With `stopAfterMs` set, a VM idle for
 * that long is stopped, and logged.
 */
export class ActivityMonitor {
  private readonly samples = new Map<string, ActivitySample>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: ActivityDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The latest sample of a running VM. */
  sample(id: string): ActivitySample | undefined {
    return this.samples.get(id);
  }

  /** When the VM will be stopped if it stays idle (epoch ms), or undefined when auto-stop is off or it is not running. */
  autoStopAt(id: string): number | undefined {
    const { stopAfterMs } = this.deps;
    const s = this.samples.get(id);
    return stopAfterMs === undefined || !s ? undefined : s.lastActiveAt + stopAfterMs;
  }

  /** Something used the VM just now (a session request): its idle period starts again. */
  touch(id: string): void {
    const s = this.samples.get(id);
    if (s) s.lastActiveAt = Math.max(s.lastActiveAt, this.now());
  }

  /** Whether the VM is still due to be stopped: its idle time (by the last sample and touches) has run out. */
  stillIdle(id: string): boolean {
    const stopAt = this.autoStopAt(id);
    return stopAt !== undefined && this.now() >= stopAt;
  }

  /** Samples every `intervalMs` until close(); one tick at a time. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** One round: sample every running VM, forget the others, stop the stale ones. */
  async tick(): Promise<void> {
    const vms = this.deps.running();
    const ids = new Set(vms.map((vm) => vm.id));
    for (const id of this.samples.keys()) if (!ids.has(id)) this.samples.delete(id);
    // The agents first (up to a second each, in parallel), so the decision below uses fresh facts.
    const withSessions = new Set<string>();
    await Promise.all(
      vms.map(async (vm) => {
        if ((await this.deps.probeAgent?.(vm.id).catch(() => false)) === true) withSessions.add(vm.id);
      }),
    );
    const connections = this.deps.connections(new Set(vms.map((vm) => vm.guestIp)));
    const stale: RunningVm[] = [];
    for (const vm of vms) {
      const sample = await this.sampleOne(vm, connections.get(vm.guestIp) ?? 0, withSessions.has(vm.id));
      const stopAt = this.autoStopAt(vm.id);
      if (sample && stopAt !== undefined && sample.at >= stopAt) stale.push(vm);
    }
    await Promise.all(stale.map((vm) => this.stopStale(vm)));
  }

  private async sampleOne(
    vm: RunningVm,
    connections: number,
    sessions: boolean,
  ): Promise<ActivitySample | undefined> {
    const usage = await this.deps.usage(vm.handle).catch(() => undefined);
    if (!usage) {
      this.samples.delete(vm.id); // exited: the runtime releases it
      return undefined;
    }
    const at = this.now();
    const previous = this.samples.get(vm.id);
    const same = previous?.pid === vm.handle.pid ? previous : undefined;
    const elapsedSeconds = same ? (at - same.at) / 1000 : 0;
    const cpuPercent =
      same && elapsedSeconds > 0 ? ((usage.cpuSeconds - same.cpuSeconds) / elapsedSeconds) * 100 : undefined;
    const active =
      connections > 0 ||
      sessions ||
      this.deps.busy(vm.id) ||
      (cpuPercent !== undefined && cpuPercent >= IDLE_CPU_PERCENT);
    const started = Date.parse(vm.startedAt);
    const lastActiveAt = Math.max(
      active ? at : (same?.lastActiveAt ?? at),
      Number.isNaN(started) ? 0 : started,
    );
    const sample: ActivitySample = {
      pid: vm.handle.pid,
      at,
      ...usage,
      ...(cpuPercent !== undefined ? { cpuPercent: Math.max(0, cpuPercent) } : {}),
      connections,
      lastActiveAt,
    };
    this.samples.set(vm.id, sample);
    return sample;
  }

  private async stopStale(vm: RunningVm): Promise<void> {
    const idleMs = this.now() - (this.samples.get(vm.id)?.lastActiveAt ?? this.now());
    const stopped = await this.deps.stop(vm.id).catch((err: unknown) => {
      this.deps.logger.warn({ vmId: vm.id, err }, 'auto-stop failed');
      return false;
    });
    if (stopped) {
      this.samples.delete(vm.id);
      this.deps.logger.info(
        { vmId: vm.id, name: vm.name, idleMs, stopAfterMs: this.deps.stopAfterMs },
        'auto-stop: stopped an idle VM',
      );
    }
  }
}
