import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonEvent } from '../../src/api/events.js';
import { BANGER } from '../support/sandbox.js';
import { createNoGuestHarness, mustRun, type VmHarness } from '../support/vm-harness.js';

/**
 * `banger events` against a real daemon with no-guest VMs: the snapshot, then
 * changes made by other processes, each within two seconds, and a clear end
 * when the daemon stops.
 */

let h: VmHarness;

beforeAll(async () => {
  h = await createNoGuestHarness('events');
});

afterAll(async () => {
  await h?.cleanup();
});

/** `banger events ARGS` running in the background; `lines` grows as it prints. */
function follow(args: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(
    'ip',
    ['netns', 'exec', h.netns.name, process.execPath, BANGER, 'events', ...args],
    { env: h.env },
  );
  const out = { lines: [] as string[], stderr: '', buffered: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.buffered += d.toString();
    const parts = out.buffered.split('\n');
    out.buffered = parts.pop() ?? '';
    out.lines.push(...parts);
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Resolves with the first line (after `from`) that `match` accepts, failing after `ms`. */
  const waitFor = async (match: (line: string) => boolean, from: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = out.lines.slice(from).find(match);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no matching event within ${ms} ms; got:\n${out.lines.join('\n')}\n${out.stderr}`);
  };
  return { child, out, exited, waitFor };
}

const parsed = (line: string) => JSON.parse(line) as DaemonEvent;
const isVm = (name: string, state: string) => (line: string) => {
  const e = parsed(line);
  return e.type === 'vm' && e.vm.name === name && e.vm.state === state;
};

describe('banger events', () => {
  it('streams a snapshot, then changes made elsewhere within 2 s, and ends with one line when the daemon stops', async () => {
    await mustRun(h, ['vm', 'create', '--name', 'one', '--image', 'test-image', '--no-wait']);
    const json = follow(['--json']);
    const human = follow([]);
    const snapshot = parsed(await json.waitFor(() => true, 0, 30_000));
    expect(snapshot).toMatchObject({ type: 'snapshot', vms: [{ name: 'one', state: 'running' }] });
    await human.waitFor((l) => /^\d\d:\d\d:\d\d {2}one +running +172\.16\.0\.\d+$/.test(l), 0, 30_000);

    let from = json.out.lines.length;
    await mustRun(h, ['vm', 'stop', 'one']);
    const stoppedAt = Date.now();
    await json.waitFor(isVm('one', 'stopped'), from, 2000);
    console.log(`stop seen by events ${Date.now() - stoppedAt} ms after the stop command returned`);

    from = json.out.lines.length;
    await mustRun(h, ['vm', 'create', '--name', 'two', '--image', 'test-image', '--no-wait']);
    await json.waitFor(isVm('two', 'running'), from, 2000);

    from = json.out.lines.length;
    await mustRun(h, ['vm', 'delete', 'one']);
    const removed = parsed(await json.waitFor((l) => parsed(l).type === 'vm-removed', from, 2000));
    expect(removed).toMatchObject({ type: 'vm-removed', name: 'one' });
    await human.waitFor((l) => /^\d\d:\d\d:\d\d {2}one +deleted$/.test(l), 0, 2000);
    // Uptime alone is not a change: about `two` after it came up, at most one event, the first
    // reading of its guest agent (which the no-guest stand-in never runs).
    const quiet = json.out.lines.length;
    await new Promise((r) => setTimeout(r, 1500));
    const after = json.out.lines.slice(quiet).map(parsed);
    expect(after.length).toBeLessThanOrEqual(1);
    expect(
      after.filter((e) => !(e.type === 'vm' && e.vm.name === 'two' && e.vm.agent?.answering === false)),
    ).toEqual([]);

    await mustRun(h, ['vm', 'delete', 'two']);
    await mustRun(h, ['daemon', 'stop']);
    expect(await json.exited).not.toBe(0);
    expect(json.out.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/daemon ended the event stream.*banger daemon status/),
    ]);
    human.child.kill('SIGINT');
    await human.exited;
  });

  it('ends cleanly on Ctrl-C', async () => {
    await mustRun(h, ['daemon', 'status']); // started again (the first test stopped it)
    const f = follow([]);
    await new Promise((r) => setTimeout(r, 1500)); // no VMs: the snapshot prints nothing
    f.child.kill('SIGINT');
    expect(await f.exited).toBe(0);
    expect(f.out.stderr).toBe('');
  });
});
