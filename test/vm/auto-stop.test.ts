// auto_stop_stale_after against the real daemon and no-guest VMs: an idle VM
// is stopped; one that the host holds a TCP connection with (what an SSH
// session is, seen from the host) keeps running until the connection ends.
// The "guest" at the far end of that connection is a veth in a child
// namespace holding the VM's address on banger's bridge: the no-guest
// stand-in boots nothing that could answer. Also: `vm stats` fetches
// Firecracker's metrics at most once per metrics_poll_interval.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmStatsView, VmView } from '../../src/api/vms.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';

let h: VmHarness;
let guest: TestNetns;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await createNoGuestHarness('autostop', [
    'auto_stop_stale_after = "2s"',
    'stats_poll_interval = "200ms"',
  ]);
  guest = await createNetns('autostop-guest');
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.cleanup();
  await destroyAllNetns();
});

const ok = (args: string[]) => mustRun(h, args);
const show = async (name: string) => json<VmView>(await ok(['vm', 'show', name, '--json']));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs node code in a namespace, kept for afterAll; resolves once it printed `ready`. */
async function nodeIn(ns: string, code: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`node in ${ns} exited ${code}`)));
  });
  return child;
}

describe('auto_stop_stale_after', () => {
  it('stops an idle VM and keeps one with an open connection running until it closes', {
    timeout: 180_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'idle', '--image', 'test-image', '--no-start']);
    await ok(['vm', 'create', '--name', 'busy', '--image', 'test-image', '--no-start']);
    const ip = (await show('busy')).guestIp;
    await ok(['vm', 'start', '--no-wait', 'idle']); // brings up banger's bridge
    // A stand-in guest for `busy`: its address on a veth whose other end is a port of banger's bridge.
    await h.netns.sh(
      `ip link add bgst0 type veth peer name bgst1 && ip link set bgst1 netns ${guest.name} && ip link set bgst0 master banger0 up`,
    );
    await guest.sh(`ip addr add ${ip}/24 dev bgst1 && ip link set bgst1 up`);
    await nodeIn(
      guest.name,
      `require('net').createServer(() => {}).listen(22, '${ip}', () => console.log('ready'))`,
    );
    const session = await nodeIn(
      h.netns.name,
      `require('net').connect(22, '${ip}', () => console.log('ready')); setInterval(() => {}, 1e6)`,
    );

    await ok(['vm', 'start', '--no-wait', 'busy']);
    // The auto-stop time appears with the VM's first sample (every 200 ms here).
    await until('a first sample of busy', async () => (await show('busy')).autoStopAt !== undefined);
    const running = await show('busy');
    expect(running.state).toBe('running');
    expect(Date.parse(running.autoStopAt ?? '')).toBeGreaterThan(Date.now() - 1000);
    expect((await ok(['vm', 'show', 'busy'])).stdout).toMatch(/^auto-stop: +in \d+s if it stays idle \(/m);

    await until('the idle VM to be stopped', async () => (await show('idle')).state === 'stopped');
    // Well past 2 s of the busy VM's life (ten samples beyond), it still runs: the connection keeps it.
    const startedAt = Date.parse(running.startedAt ?? '');
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + 4000 - Date.now())));
    expect((await show('busy')).state).toBe('running');
    expect((await show('idle')).autoStopAt).toBeUndefined();
    // Metrics are fetched at most once per metrics_poll_interval (15 s by default): three calls, one line.
    const metricsFile = join(running.vmDir, 'metrics.json');
    const lines = () => readFileSync(metricsFile, 'utf8').split('\n').filter(Boolean).length;
    const before = lines();
    for (let i = 0; i < 3; i++) {
      const stats = json<VmStatsView>(await ok(['vm', 'stats', 'busy', '--json']));
      expect(stats.process?.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(stats.metrics).toHaveProperty('utc_timestamp_ms');
    }
    expect(lines()).toBe(before + 1);

    const log = readFileSync(join(h.stateDir, 'bangerd.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('auto-stop: stopped an idle VM'))
      .map((l) => JSON.parse(l) as { name: string; stopAfterMs: number });
    expect(log.map((l) => [l.name, l.stopAfterMs])).toEqual([['idle', 2000]]);

    // The session ends: the busy VM is stopped in turn.
    session.kill('SIGKILL');
    await until('the busy VM to be stopped', async () => (await show('busy')).state === 'stopped');
  });
});
