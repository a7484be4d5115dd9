import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { processAlive } from './qemu-standin.js';
import { mustRun, type VmHarness } from './vm-harness.js';

/**
 * Kill -9 at an exact moment: a daemon restarted with the test-only
 * BANGER_TEST_PAUSE seam stops for good at the named points, a test waits
 * for the log to say so, then SIGKILLs it and lets the next CLI call start
 * a fresh daemon, which must clean up after it.
 */

const daemonLog = (h: VmHarness) => join(h.stateDir, 'bangerd.log');

/** The daemon log's size now: waitForPause looks only at what comes after it. */
export const daemonLogSize = (h: VmHarness) => readFileSync(daemonLog(h)).length;

/** Stops the daemon and starts a new one whose environment has `BANGER_TEST_PAUSE=<points>`. */
export async function restartPausingAt(h: VmHarness, points: string): Promise<void> {
  await mustRun(h, ['daemon', 'stop']);
  const r = await h.banger(['daemon', 'status'], { env: { BANGER_TEST_PAUSE: points } });
  expect(r.status, r.stderr).toBe(0);
}

/** Waits until the daemon logs that it reached `point` (only lines written after `from` bytes count). */
export async function waitForPause(h: VmHarness, point: string, from: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const text = readFileSync(daemonLog(h), 'utf8').slice(from);
    if (text.split('\n').some((l) => l.includes('"test pause"') && l.includes(`"point":"${point}"`))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the daemon never paused at ${point}`);
}

/** SIGKILLs the running daemon and waits until it is gone; no-op when none runs. */
export async function killDaemon(h: VmHarness): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(h.env.XDG_RUNTIME_DIR ?? '', 'banger', 'bangerd.pid'), 'utf8'));
  } catch {
    return;
  }
  if (!processAlive(pid) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bangerd')) return;
  process.kill(pid, 'SIGKILL');
  while (processAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}
