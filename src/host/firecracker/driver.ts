// The Firecracker driver's contract. The implementation is process-driver.ts;
// the VM service depends only on these types.
interface VmDrive {
  /** Firecracker drive id: letters, digits, underscore. */
  id: string;
  /** A daemon-created file. */
  path: string;
  readOnly: boolean;
  isRoot: boolean;
}

export interface VmLaunchSpec {
  /** Becomes Firecracker's `--id` (1-64 letters, digits, '-'). */
  vmId: string;
  /** Daemon-created 0700 dir; the driver creates firecracker.sock, firecracker.log, metrics.json, console.log in it. */
  vmDir: string;
  /** From resolveFirecracker(). A `.js` file is run with this Node (process.execPath). */
  firecrackerBin: string;
  vcpu: number;
  memoryMib: number;
  kernel: { vmlinux: string; initrd: string };
  /** The full kernel command line; see bootArgs(). */
  bootArgs: string;
  /** In guest order: rootfs (vda, root, read-only), system (vdb), work (vdc). */
  drives: VmDrive[];
  net: { tap: string; mac: string };
  vsock?: { cid: number; udsPath: string };
  /** Size cap for console.log enforced by ConsoleCap (default DEFAULT_CONSOLE_CAP_BYTES). Informational to launch. */
  consoleCapBytes?: number;
  /**
   * Load this snapshot instead of booting, and resume it: the machine, kernel
   * and drives are the snapshot's (vcpu, memoryMib, kernel, bootArgs and
   * drives above are not sent); the TAP and the vsock socket are this spec's,
   * through Firecracker's overrides. Drive paths relative to the VM dir
   * (Firecracker's working directory) then name this VM's own disks.
   */
  restore?: { statePath: string; memPath: string };
}

/** What identifies a running Firecracker; persisted in handles.json so a restarted daemon can adopt it. */
export interface FirecrackerHandle {
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks after boot): tells this process from a later one reusing the pid. */
  startTime: number;
  apiSock: string;
  vmDir: string;
}

/**
 * What is at a handle's pid: `running` (the handle's Firecracker, answering
 * on its socket), `unresponsive` (the handle's Firecracker by pid, start
 * time and command line, but its socket does not answer: hung or busy, not
 * gone, so its resources must not be released), or `gone`.
 */
export type VmmPresence = 'running' | 'unresponsive' | 'gone';

export type StopOutcome = 'graceful' | 'terminated' | 'killed' | 'gone';

export interface StopOptions {
  /** How long the guest may take to end after Ctrl+Alt+Del before SIGTERM (default 30 s). */
  timeoutMs?: number;
  /**
   * Ends that wait early, going on to SIGTERM: the caller has judged that the
   * guest will not react (halted, or not running anything that could).
   */
  giveUp?: AbortSignal;
}

export interface FirecrackerStats {
  rssBytes: number;
  /** utime + stime of the Firecracker process. */
  cpuSeconds: number;
  /** The last line of metrics.json after a FlushMetrics, when there is one. */
  metrics?: Record<string, unknown>;
}

export interface LaunchHooks {
  /**
   * Awaited right after the process exists, before any API call: the moment
   * to record the handle durably, so a daemon killed during the launch leaves
   * a trace of the process it started. A rejection fails the launch like any
   * other step (the process is killed).
   */
  onSpawned?: (handle: FirecrackerHandle) => Promise<void> | void;
}

export interface FirecrackerDriver {
  /**
   * Starts Firecracker for the VM as the daemon's user, in its own session
   * (it survives the daemon being kill -9'd), stdout+stderr appended to
   * <vmDir>/console.log; configures logger, metrics, machine config, boot
   * source, drives, network interface and vsock, then InstanceStart.
   * Resolves once InstanceStart succeeded. On any failure the process is
   * killed (and gone) and the promise rejects with AppError('operation_failed')
   * naming the failing call, Firecracker's fault_message and the tails of
   * firecracker.log and console.log; with AppError('cancelled') when `signal`
   * aborts; with AppError('invalid_argument') for a spec it cannot start
   * (socket path over 107 bytes, bad drive id).
   */
  launch(spec: VmLaunchSpec, signal?: AbortSignal, hooks?: LaunchHooks): Promise<FirecrackerHandle>;
  /**
   * True only when the live process at handle.pid is that same Firecracker:
   * same start time, command line with `--api-sock <handle.apiSock>`, and the
   * API socket answers. Never true for an unrelated process reusing the pid.
   */
  identify(handle: FirecrackerHandle): Promise<boolean>;
  /** identify() in three states, for reconcile: see VmmPresence. */
  inspect(handle: FirecrackerHandle): Promise<VmmPresence>;
  /**
   * Graceful stop: SendCtrlAltDel, wait up to timeoutMs (default 30 s) for
   * exit, then SIGTERM, a short wait, then SIGKILL. Resolves when the process
   * is gone. Idempotent: 'gone' when it had already exited. Signals only a
   * process whose pid, start time and command line match the handle (a hung
   * VMM whose socket no longer answers is still terminated).
   */
  stop(handle: FirecrackerHandle, opts?: StopOptions): Promise<StopOutcome>;
  /**
   * Sends `signal` (default SIGKILL) to the process if it matches the handle;
   * for SIGKILL and SIGTERM resolves once it is gone. A process already gone
   * is not an error.
   */
  kill(handle: FirecrackerHandle, signal?: NodeJS.Signals): Promise<void>;
  /**
   * This user's live Firecracker processes working in a VM dir directly
   * under `vmsDir` (by the `--api-sock` in their command line), whoever
   * started them; never another user's. For reconcile at daemon start.
   */
  findProcesses(vmsDir: string): Promise<FirecrackerHandle[]>;
  /** Resolves when the process exits, whether this driver launched it or adopted it (polls /proc then). */
  waitExit(handle: FirecrackerHandle): Promise<void>;
  /**
   * Host-side stats from /proc and the last metrics line (after FlushMetrics;
   * `metrics: false` skips both, for cheap periodic sampling).
   * Rejects with AppError('conflict') when the process is not running.
   */
  stats(handle: FirecrackerHandle, opts?: { metrics?: boolean }): Promise<FirecrackerStats>;
}
