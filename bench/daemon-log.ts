// The daemon's own timings, read back from its log (`<state dir>/bangerd.log`, one pino JSON
// object per line): each create/start step's `{"operation","step","ms","msg":"step done"}`
// and the ready wait's `{"ms","msg":"guest ready"}`. A benchmark notes the log's size before
// a run and reads what the run appended.
import { readFileSync, statSync } from 'node:fs';
import { median } from './stats.js';

/** One log line: pino's `time` (epoch ms, the host clock `Date.now()` reads too) and the fields. */
export interface LogRecord {
  time: number;
  msg: string;
  operation?: string;
  step?: string;
  ms?: number;
  [key: string]: unknown;
}

/** The step that launches the VMM (Firecracker, or the stand-in); every step before it is the control plane. */
export const VMM_STEP = 'firecracker';

/** The log's size now, the offset to read a run's lines from (0 before the daemon wrote any). */
export function logOffset(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The whole lines appended since `offset`; a line that is not JSON is skipped. */
export function readLogSince(path: string, offset: number): LogRecord[] {
  const text = readFileSync(path).subarray(offset).toString('utf8');
  const records: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as LogRecord;
      if (typeof r.time === 'number' && typeof r.msg === 'string') records.push(r);
    } catch {
      // A partly written last line: the next read has it.
    }
  }
  return records;
}

/** pino writes asynchronously: waits (up to `timeoutMs`) for a line the run must have logged. */
export async function waitForLog(
  path: string,
  offset: number,
  done: (records: LogRecord[]) => boolean,
  timeoutMs = 2000,
): Promise<LogRecord[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const records = readLogSince(path, offset);
    if (done(records) || Date.now() > until) return records;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const stepRecords = (records: readonly LogRecord[]) =>
  records.filter((r) => r.msg === 'step done' && typeof r.step === 'string' && typeof r.ms === 'number');

/** Per step name, its ms in these records (summed if a step ran twice), in the order they ran. */
export function stepTimes(records: readonly LogRecord[]): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const r of stepRecords(records))
    steps[r.step as string] = (steps[r.step as string] ?? 0) + (r.ms as number);
  return steps;
}

/** The daemon's steps before the VMM's launch: reserve, directory, keys, disks, network. */
export function controlPlaneMs(steps: Record<string, number>): number {
  return Object.entries(steps)
    .filter(([name]) => name !== VMM_STEP)
    .reduce((sum, [, ms]) => sum + ms, 0);
}

/** The ready wait's length (the VMM running until the guest's SSH port answers), if logged. */
export function guestReadyMs(records: readonly LogRecord[]): number | undefined {
  const r = records.find((x) => x.msg === 'guest ready' && typeof x.ms === 'number');
  return r?.ms;
}

/** Per step, the median over the runs (a step a run lacks counts as absent, not 0), in run order. */
export function medianSteps(runs: readonly Record<string, number>[]): Record<string, number> {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  const out: Record<string, number> = {};
  for (const name of names) {
    out[name] = median(runs.flatMap((r) => (r[name] !== undefined ? [r[name]] : [])));
  }
  return out;
}
