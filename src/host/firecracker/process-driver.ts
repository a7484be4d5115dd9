import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../domain/errors.js';
import { readProcCmdline, readProcRssBytes, readProcStat, USER_HZ } from '../proc.js';
import { FirecrackerApi, FirecrackerApiError } from './api-client.js';
import { describeRequest, fcRequests } from './api-types.js';
import type {
  FirecrackerDriver,
  FirecrackerHandle,
  FirecrackerStats,
  LaunchHooks,
  StopOptions,
  StopOutcome,
  VmLaunchSpec,
  VmmPresence,
} from './driver.js';
import { clearStaleSocket, fileSize, freshFile, lastLines, readTail } from './files.js';
import { findVmmProcesses } from './find-processes.js';
import { checkLaunchSpec, launchRequests, vmFiles } from './launch-plan.js';
import { lastMetricsLine } from './metrics.js';
import { type SpawnedVmm, spawnVmm, vmmArgv } from './spawn.js';
import { waitGone } from './wait-gone.js';

export interface ProcessDriverOptions {
  /** Added to the daemon's environment for Firecracker (tests: BANGER_STANDIN_NO_GUEST=1). */
  env?: NodeJS.ProcessEnv;
  /** How long a new Firecracker gets to answer on its API socket (default 10 s). */
  socketTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL in stop() (default 3 s). */
  termGraceMs?: number;
  /** /proc polling interval for processes this driver did not start (default 200 ms). */
  pollMs?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** A SIGKILLed process that is still there after this long is stuck in the kernel (D state). */
const KILL_WAIT_MS = 10_000;
const TAIL_BYTES = 4096;

/** True when argv carries `--api-sock <sock>` (or `--api-sock=<sock>`). */
export function hasApiSock(argv: readonly string[], sock: string): boolean {
  return argv.some((a, i) => (a === '--api-sock' && argv[i + 1] === sock) || a === `--api-sock=${sock}`);
}

/** Runs one Firecracker process per VM; see FirecrackerDriver for the contract. */
class ProcessFirecrackerDriver implements FirecrackerDriver {
  /** Processes this driver started and has not seen exit: their exit is an event, not a poll. */
  private readonly children = new Map<number, SpawnedVmm>();

  constructor(private readonly options: ProcessDriverOptions = {}) {}

  async launch(
    spec: VmLaunchSpec,
    signal?: AbortSignal,
    hooks: LaunchHooks = {},
  ): Promise<FirecrackerHandle> {
    checkLaunchSpec(spec);
    const files = vmFiles(spec.vmDir);
    const cancelled = () => new AppError('cancelled', `starting VM ${spec.vmId} was cancelled`);
    if (signal?.aborted) throw cancelled();
    await clearStaleSocket(files.apiSock, 'the Firecracker API socket');
    if (spec.vsock) await clearStaleSocket(spec.vsock.udsPath, 'the vsock socket');
    try {
      // Firecracker writes these from offset 0 without O_APPEND: each run gets empty ones
      // (the previous run's log is kept as firecracker.log.1).
      freshFile(files.log, files.previousLog);
      freshFile(files.metrics);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new AppError('operation_failed', `cannot create Firecracker's files in ${spec.vmDir} (${why})`);
    }
    const since = { log: fileSize(files.log), console: fileSize(files.console) };
    const argv = vmmArgv(spec.firecrackerBin, ['--api-sock', files.apiSock, '--id', spec.vmId]);
    const vmm = await spawnVmm(argv, files.console, spec.vmDir, { ...process.env, ...this.options.env });
    this.children.set(vmm.pid, vmm);
    void vmm.exited.then(() => this.children.delete(vmm.pid));
    const handle: FirecrackerHandle = {
      pid: vmm.pid,
      startTime: vmm.startTime,
      apiSock: files.apiSock,
      vmDir: spec.vmDir,
    };
    const api = new FirecrackerApi(files.apiSock);
    let step = 'recording the process';
    try {
      await hooks.onSpawned?.(handle);
      step = 'waiting for the API socket';
      await this.waitForSocket(api, vmm, signal);
      for (const req of launchRequests(spec, files)) {
        if (signal?.aborted) throw cancelled();
        step = describeRequest(req);
        await api.send(req, { signal });
      }
      return handle;
    } catch (err) {
      vmm.child.kill('SIGKILL');
      const how = await vmm.exited;
      if (signal?.aborted) throw cancelled();
      throw this.launchError(spec, step, err, how, since);
    }
  }

  private async waitForSocket(api: FirecrackerApi, vmm: SpawnedVmm, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.options.socketTimeoutMs ?? 10_000);
    let exited: string | undefined;
    void vmm.exited.then((how) => {
      exited = how;
    });
    for (;;) {
      if (exited) throw new Error(`Firecracker ${exited} before its API socket answered`);
      if (signal?.aborted) throw new Error('cancelled');
      try {
        await api.describeInstance({ timeoutMs: 1000, signal });
        return;
      } catch (err) {
        if (!(err instanceof FirecrackerApiError) || err.status !== 0) throw err;
      }
      if (Date.now() > deadline)
        throw new Error(`its API socket did not answer within ${this.options.socketTimeoutMs ?? 10_000} ms`);
      await sleep(20);
    }
  }

  /** The error for a failed launch: one line with the call and fault, the new log output in details. */
  private launchError(
    spec: VmLaunchSpec,
    step: string,
    err: unknown,
    how: string,
    since: { log: number; console: number },
  ): AppError {
    const files = vmFiles(spec.vmDir);
    const fault =
      err instanceof FirecrackerApiError ? err.fault : err instanceof Error ? err.message : String(err);
    const logTail = readTail(files.log, TAIL_BYTES, since.log);
    const consoleTail = readTail(files.console, TAIL_BYTES, since.console);
    // The last line of each log, unless it only repeats the fault; a refused
    // configuration call is fully explained by its fault, a failed start or
    // an early exit may be explained by the console (a VMM's stderr, a panic).
    const refused = err instanceof FirecrackerApiError && err.status >= 400 && !step.endsWith('/actions');
    const tails = [
      ['firecracker.log', lastLines(logTail, 1, 200)],
      ['console.log', refused ? '' : lastLines(consoleTail, 2, 300)],
    ]
      .filter(([, line]) => line && !line.includes(fault))
      .map(([name, line]) => `${name}: ${line}`);
    return new AppError(
      'operation_failed',
      `Firecracker for VM ${spec.vmId} failed at ${step}: ${fault}${tails.length ? `; ${tails.join('; ')}` : ''}`,
      {
        cause: err,
        details: { step, fault, vmm: how, firecrackerLog: logTail, console: consoleTail },
      },
    );
  }

  /** Same pid, same start time, not a zombie. */
  private alive(handle: FirecrackerHandle): boolean {
    const stat = readProcStat(handle.pid);
    return (
      stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === handle.startTime
    );
  }

  /** alive() and its command line names the handle's API socket: safe to signal. */
  private matches(handle: FirecrackerHandle): boolean {
    if (!this.alive(handle)) return false;
    const argv = readProcCmdline(handle.pid);
    return argv !== undefined && hasApiSock(argv, handle.apiSock) && this.alive(handle);
  }

  async inspect(handle: FirecrackerHandle): Promise<VmmPresence> {
    if (!this.matches(handle)) return 'gone';
    try {
      await new FirecrackerApi(handle.apiSock).describeInstance({ timeoutMs: 2000 });
    } catch {
      return this.matches(handle) ? 'unresponsive' : 'gone';
    }
    return this.matches(handle) ? 'running' : 'gone';
  }

  async identify(handle: FirecrackerHandle): Promise<boolean> {
    return (await this.inspect(handle)) === 'running';
  }

  /** Signals the process only if it still matches the handle; false when it does not (or vanished). */
  private signal(handle: FirecrackerHandle, signal: NodeJS.Signals): boolean {
    if (!this.matches(handle)) return false;
    try {
      process.kill(handle.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * True once the process is gone, false if still there after `ms` (or when
   * `giveUp` aborts); own children's exit is awaited, not polled.
   */
  private goneWithin(handle: FirecrackerHandle, ms: number, giveUp?: AbortSignal): Promise<boolean> {
    const own = this.children.get(handle.pid);
    const exited = own && own.startTime === handle.startTime ? own.exited : undefined;
    return waitGone(() => this.alive(handle), ms, this.options.pollMs ?? 200, exited, giveUp);
  }

  async stop(handle: FirecrackerHandle, opts: StopOptions = {}): Promise<StopOutcome> {
    if (!this.matches(handle)) return 'gone';
    let asked = false;
    try {
      await new FirecrackerApi(handle.apiSock).send(fcRequests.action('SendCtrlAltDel'), { timeoutMs: 5000 });
      asked = true;
    } catch {
      // Not booted, or the VMM no longer answers: go straight to signals.
    }
    if (asked && (await this.goneWithin(handle, opts.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, opts.giveUp)))
      return 'graceful';
    if (!this.signal(handle, 'SIGTERM')) return asked ? 'graceful' : 'gone';
    if (await this.goneWithin(handle, this.options.termGraceMs ?? 3000)) return 'terminated';
    if (!this.signal(handle, 'SIGKILL')) return 'terminated';
    await this.mustDie(handle);
    return 'killed';
  }

  private async mustDie(handle: FirecrackerHandle): Promise<void> {
    if (!(await this.goneWithin(handle, KILL_WAIT_MS))) {
      throw new AppError(
        'operation_failed',
        `Firecracker (pid ${handle.pid}) survived SIGKILL for ${KILL_WAIT_MS / 1000} s; it is stuck in the kernel, check dmesg`,
      );
    }
  }

  async kill(handle: FirecrackerHandle, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.signal(handle, signal)) return;
    if (signal === 'SIGKILL') await this.mustDie(handle);
    else if (signal === 'SIGTERM') await this.waitExit(handle);
  }

  async findProcesses(vmsDir: string): Promise<FirecrackerHandle[]> {
    return findVmmProcesses(vmsDir);
  }

  async waitExit(handle: FirecrackerHandle): Promise<void> {
    while (!(await this.goneWithin(handle, 60_000))) {
      // keep waiting: a VM runs as long as it runs
    }
  }

  async stats(handle: FirecrackerHandle, opts: { metrics?: boolean } = {}): Promise<FirecrackerStats> {
    const stat = readProcStat(handle.pid);
    const rssBytes = readProcRssBytes(handle.pid);
    if (!stat || rssBytes === undefined || !this.matches(handle)) {
      throw new AppError('conflict', `Firecracker (pid ${handle.pid}) is not running`);
    }
    const cpuSeconds = (stat.utimeTicks + stat.stimeTicks) / USER_HZ;
    if (opts.metrics === false) return { rssBytes, cpuSeconds };
    try {
      await new FirecrackerApi(handle.apiSock).send(fcRequests.action('FlushMetrics'), { timeoutMs: 2000 });
    } catch {
      // Not booted yet, or busy: the last line written is still worth showing.
    }
    const metrics = lastMetricsLine(readTail(join(handle.vmDir, 'metrics.json'), 256 * 1024));
    return { rssBytes, cpuSeconds, ...(metrics ? { metrics } : {}) };
  }
}

export function createFirecrackerDriver(options?: ProcessDriverOptions): FirecrackerDriver {
  return new ProcessFirecrackerDriver(options);
}
