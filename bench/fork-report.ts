// bench:fork's pure half: its command line, the fork's stages read from the daemon's log,
// the report (medians and the fork/cold ratios) and the progress table. No guest, no harness:
// test/vm/bench-fork.test.ts checks it directly.
import { parseArgs } from 'node:util';
import { type LogRecord, stepRecords } from './daemon-log.js';
import { median, positiveInt, usage } from './stats.js';

export const FORK_HELP = `usage: npm run bench:fork -- [--runs N] [--pool-timeout S] [--json]

In the test harness (private namespace, HOME and daemon; the golden image, 1 vCPU, 1024 MiB),
interleaved, N runs of each:
  cold         vm create --name cN --image golden   (create waits for SSH)
  fork_vm      vm fork src --name fN                 (src: one VM booted before the runs)
  fork_snap    vm fork base --name gN                (base: vm snapshot src, taken once)
  run_cold     vm run --name rN -- true              (no warm pool)
the first three followed by \`vm ssh NAME -- true\` (timed apart), each by the VM's kill +
delete (timed apart).
Then, when the daemon knows warm_pool_size, it restarts with warm_pool_size = 1 and times
\`vm run -- true\` taking the pooled VM (waiting for the pool to refill between runs);
otherwise the pool's figures are null with the reason.

Prints JSON on stdout (per-run times, medians, fork/cold ratios, the fork's daemon steps)
and a table on stderr. About 3-4 minutes here for 3 runs (2 cores, no KVM).

  --runs N           runs of each (default 3)
  --pool-timeout S   how long to wait for the warm pool to fill, seconds (default 180)
  --json             no progress lines on stderr
  --help             this text

On a KVM host with Firecracker, BANGER_E2E_FIRECRACKER=/path/to/firecracker runs the same
benchmark against the real binary (target there: vm run -- true from the pool under 300 ms).
`;

const OPTIONS = {
  runs: { type: 'string', default: '3' },
  'pool-timeout': { type: 'string', default: '180' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

export interface ForkArgs {
  runs: number;
  poolTimeoutMs: number;
  json: boolean;
  help: boolean;
}

/** The command line (without node and the script), or a usage error (exit 2). */
export function parseForkArgs(args: readonly string[]): ForkArgs {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
  return {
    runs: positiveInt('runs', values.runs),
    poolTimeoutMs: positiveInt('pool-timeout', values['pool-timeout']) * 1000,
    json: values.json,
    help: values.help,
  };
}

/** On these machines (the stand-in, software emulation) a fork should take at most this share of a cold create. */
export const FORK_RATIO_TARGET = 0.2;
/** On a KVM host with Firecracker: `vm run -- true` taking a pooled VM, end to end. */
export const KVM_POOL_RUN_TARGET_MS = 300;

/** The steps a fork from a running VM logs first (operation `fork`), capturing the source. */
const CAPTURE_STEPS = new Set(['stage', 'pause', 'memory', 'disks', 'resume']);

/**
 * A fork's daemon steps from its log lines (operation `fork`): the capture of a running source
 * (stage, pause, memory, disks, resume; none for a snapshot) and the new VM's (reserve,
 * directory, ssh-keys, disks, network, firecracker, identity), told apart by `reserve`,
 * since both have a `disks` step; and the ready wait (`guest ready`) that follows.
 */
export function forkStages(records: readonly LogRecord[]) {
  const capture: Record<string, number> = {};
  const fork: Record<string, number> = {};
  let made = false;
  for (const r of stepRecords(records)) {
    if (r.operation !== 'fork') continue;
    const step = r.step as string;
    if (step === 'reserve') made = true;
    const into = made || !CAPTURE_STEPS.has(step) ? fork : capture;
    into[step] = (into[step] ?? 0) + (r.ms as number);
  }
  const ready = records.find((r) => r.msg === 'guest ready' && typeof r.ms === 'number');
  const sum = (steps: Record<string, number>) => Object.values(steps).reduce((s, x) => s + x, 0);
  return {
    capture,
    fork,
    capture_ms: sum(capture),
    fork_steps_ms: sum(fork),
    guest_ready_ms: (ready?.ms as number | undefined) ?? null,
  };
}
export type ForkStages = ReturnType<typeof forkStages>;

/** Whether the log shows the VM booted cold (create's VMM step) or not: a run that took a pooled VM has none. */
export function bootedCold(records: readonly LogRecord[]): boolean {
  return stepRecords(records).some((r) => r.operation === 'create' && r.step === 'firecracker');
}

/** The pool VMs the daemon reports ready in these lines (`warm pool: VM ready`). */
export function poolReadyLines(records: readonly LogRecord[]): number {
  return records.filter((r) => /pool/i.test(r.msg) && /\bready\b/i.test(r.msg)).length;
}

/** The daemon's last warning about the pool in these lines, with its error's message: why it did not fill. */
export function poolTrouble(records: readonly LogRecord[]): string | undefined {
  const r = records.filter((x) => /pool/i.test(x.msg) && (x.level as number) >= 40).at(-1);
  if (!r) return undefined;
  const err = r.err as { message?: unknown } | undefined;
  return typeof err?.message === 'string' ? `${r.msg}: ${err.message}` : r.msg;
}

/**
 * The warm pool's absence, from the daemon's refusal of `warm_pool_size` at its start: the
 * error line that names the key, else undefined (the daemon failed for another reason).
 */
export function poolRefusal(stderr: string): string | undefined {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /warm_pool_size/.test(l) && /unknown|unrecognized|not allowed|invalid/i.test(l));
}

export interface PathRun {
  /** The command itself, to SSH answering (create and fork wait for it; run runs `true` over it). */
  ms: number;
  /** `vm ssh NAME -- true` right after. */
  ssh_true_ms: number;
  /** kill + delete, not part of `ms`. */
  teardown_ms: number;
}

/** `vm run -- true`: the command ran over SSH already. */
export interface RunRun {
  ms: number;
  teardown_ms: number;
}

export interface ForkRun extends PathRun {
  stages: ForkStages;
}

export interface PoolRun {
  ms: number;
  /** From the daemon's log: false when the VM was booted cold (create's VMM step ran). */
  took_pool_vm: boolean;
  refill_ms: number | null;
  teardown_ms: number;
}

export interface PoolResult {
  warm_pool_size: number;
  fill_ms: number;
  runs: PoolRun[];
}

/** b/a to three places, null when a is 0 (no samples). */
export function ratio(x: number, of: number): number | null {
  return of > 0 ? Number((x / of).toFixed(3)) : null;
}

const medianOf = (xs: readonly (number | null | undefined)[]) =>
  median(xs.filter((x): x is number => typeof x === 'number'));

/** Per key, the median over the runs that have it, in first-seen order. */
function medianRecord(rs: readonly Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(rs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, medianOf(rs.map((r) => r[k]))]));
}

function pathSummary(runs: readonly PathRun[]) {
  return {
    median_ms: medianOf(runs.map((r) => r.ms)),
    median_ssh_true_ms: medianOf(runs.map((r) => r.ssh_true_ms)),
    median_teardown_ms: medianOf(runs.map((r) => r.teardown_ms)),
  };
}

function forkSummary(runs: readonly ForkRun[]) {
  return {
    ...pathSummary(runs),
    median_capture_steps: medianRecord(runs.map((r) => r.stages.capture)),
    median_fork_steps: medianRecord(runs.map((r) => r.stages.fork)),
    median_guest_ready_ms: medianOf(runs.map((r) => r.stages.guest_ready_ms)),
  };
}

export interface ForkBenchResults {
  snapshot_ms: number;
  source_boot_ms: number;
  cold: PathRun[];
  fork_vm: ForkRun[];
  fork_snap: ForkRun[];
  run_cold: RunRun[];
  /** The measured pool, or why there is none. */
  pool: PoolResult | { reason: string };
}

/** The JSON bench:fork prints. */
export function forkReport(r: ForkBenchResults) {
  const cold = pathSummary(r.cold);
  const forkVm = forkSummary(r.fork_vm);
  const forkSnap = forkSummary(r.fork_snap);
  const runCold = {
    median_ms: medianOf(r.run_cold.map((x) => x.ms)),
    median_teardown_ms: medianOf(r.run_cold.map((x) => x.teardown_ms)),
  };
  const pool = 'reason' in r.pool ? undefined : r.pool;
  const warm = pool
    ? {
        runs: pool.runs,
        fill_ms: pool.fill_ms,
        warm_pool_size: pool.warm_pool_size,
        median_ms: medianOf(pool.runs.map((x) => x.ms)),
        all_took_pool_vm: pool.runs.every((x) => x.took_pool_vm),
        median_refill_ms: medianOf(pool.runs.map((x) => x.refill_ms)),
      }
    : null;
  return {
    source: { boot_ms: r.source_boot_ms, snapshot_ms: r.snapshot_ms },
    cold: { runs: r.cold, ...cold },
    fork_vm: { runs: r.fork_vm, ...forkVm },
    fork_snap: { runs: r.fork_snap, ...forkSnap },
    ratios: {
      target: FORK_RATIO_TARGET,
      fork_vm_over_cold: ratio(forkVm.median_ms, cold.median_ms),
      fork_snap_over_cold: ratio(forkSnap.median_ms, cold.median_ms),
      // With the first `vm ssh -- true` after each: what a user waits for before a command ran.
      fork_vm_over_cold_with_ssh: ratio(
        forkVm.median_ms + forkVm.median_ssh_true_ms,
        cold.median_ms + cold.median_ssh_true_ms,
      ),
      fork_snap_over_cold_with_ssh: ratio(
        forkSnap.median_ms + forkSnap.median_ssh_true_ms,
        cold.median_ms + cold.median_ssh_true_ms,
      ),
    },
    vm_run: {
      cold: { runs: r.run_cold, ...runCold },
      warm,
      ...(pool ? {} : { warm_reason: (r.pool as { reason: string }).reason }),
      warm_over_cold: warm ? ratio(warm.median_ms, runCold.median_ms) : null,
      kvm_target_warm_ms: KVM_POOL_RUN_TARGET_MS,
    },
  };
}

/** The medians as a table for stderr. */
export function forkTable(report: ReturnType<typeof forkReport>): string {
  const row = (what: string, ms: number | null | undefined, extra = '') =>
    `  ${what.padEnd(28)} ${ms == null ? '     -' : String(Math.round(ms)).padStart(6)} ms${extra}`;
  const x = (v: number | null) => (v === null ? '' : `  (${v}x cold)`);
  const warm = report.vm_run.warm;
  return [
    'medians:',
    row('vm create → SSH (cold)', report.cold.median_ms),
    row('vm fork VM → SSH', report.fork_vm.median_ms, x(report.ratios.fork_vm_over_cold)),
    row('vm fork SNAPSHOT → SSH', report.fork_snap.median_ms, x(report.ratios.fork_snap_over_cold)),
    row('then vm ssh -- true', report.cold.median_ssh_true_ms, ' (cold VM)'),
    row('vm run -- true (no pool)', report.vm_run.cold.median_ms),
    warm
      ? row('vm run -- true (warm pool)', warm.median_ms, x(report.vm_run.warm_over_cold))
      : row('vm run -- true (warm pool)', null, `  ${report.vm_run.warm_reason ?? ''}`),
    `  fork/cold target ≤ ${report.ratios.target}; KVM-host target for vm run from the pool < ${report.vm_run.kvm_target_warm_ms} ms`,
  ].join('\n');
}
