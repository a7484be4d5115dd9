import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmStatsView, VmView } from '../../src/api/vms.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';

/**
 * banger against the stand-in where it is as strict as Firecracker (issue
 * 17), no guest booted: Firecracker writes firecracker.log and metrics.json
 * from offset 0 without O_APPEND, so a restarted VM must not find the
 * previous run's lines in them.
 */

let h: VmHarness;
const ok = (args: string[]) => mustRun(h, args);

beforeAll(async () => {
  // Every `vm stats` asks for fresh metrics (the default asks at most every 15 s).
  h = await createNoGuestHarness('fid', ['metrics_poll_interval = "0s"']);
});

afterAll(async () => {
  await h?.cleanup();
});

/** The stand-in's log timestamp format (local time, as Firecracker's), to the second. */
function logStamp(ms: number): string {
  return new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
}

describe('Firecracker files across a restart (no-guest stand-in)', () => {
  it("a restarted VM's metrics.json parses line by line and holds only the new run's lines", async () => {
    await ok(['vm', 'create', '--name', 'metrics', '--image', 'test-image', '--no-wait']);
    const [vm] = json<VmView[]>(await ok(['vm', 'list', '--json']));
    const dir = join(h.vmsDir, vm!.id);
    const metricsPath = join(dir, 'metrics.json');
    const logPath = join(dir, 'firecracker.log');
    // A first run with several metrics lines (each `vm stats` flushes one) and a longer log.
    for (let i = 0; i < 3; i++) await ok(['vm', 'stats', 'metrics', '--json']);
    expect(readFileSync(metricsPath, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(3);

    await ok(['vm', 'stop', 'metrics']);
    await sleep(1100); // log timestamps have one-second resolution here
    const restartedAt = Date.now();
    await ok(['vm', 'start', 'metrics', '--no-wait']);
    const stats = json<VmStatsView>(await ok(['vm', 'stats', 'metrics', '--json']));

    const text = readFileSync(metricsPath, 'utf8');
    expect(text).not.toContain('\0');
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { utc_timestamp_ms: number };
      expect(parsed.utc_timestamp_ms, line).toBeGreaterThanOrEqual(restartedAt);
    }
    expect(stats.metrics?.utc_timestamp_ms).toBeGreaterThanOrEqual(restartedAt);

    // The log likewise: every line is the new run's, none is a leftover tail of the old one.
    const log = readFileSync(logPath, 'utf8');
    expect(log).not.toContain('\0');
    const since = logStamp(restartedAt);
    for (const line of log.split('\n').filter(Boolean)) {
      expect(line, line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9} \[/);
      expect(line.slice(0, 19) >= since, line).toBe(true);
    }
    expect(log.match(/Successfully started microvm/g)).toHaveLength(1);
    // The previous run's log is kept once, whole.
    const previous = readFileSync(join(dir, 'firecracker.log.1'), 'utf8');
    expect(previous.match(/Successfully started microvm/g)).toHaveLength(1);
    expect(previous).toContain('Firecracker exiting successfully');

    await ok(['vm', 'delete', 'metrics']);
  });
});
