import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../host/logger.js';
import { type ActivityDeps, ActivityMonitor, IDLE_CPU_PERCENT, type RunningVm } from './activity.js';

const START = Date.parse('2026-01-01T00:00:00Z');

function vm(id: string, pid = 100, startedAt = new Date(START - 60_000).toISOString()): RunningVm {
  return {
    id,
    name: `vm-${id}`,
    guestIp: `10.0.0.${id.length}`,
    handle: { pid, startTime: 1, apiSock: '/s', vmDir: '/d' },
    startedAt,
  } as RunningVm;
}

/** A world the test moves by hand: the clock, each VM's CPU seconds, connections and busy marks. */
function world(o: { stopAfterMs?: number; vms: RunningVm[] }) {
  const state = {
    now: START,
    vms: o.vms,
    cpu: new Map<number, number>(),
    gone: new Set<number>(),
    connections: new Map<string, number>(),
    busy: new Set<string>(),
    stopped: [] as string[],
    askedIps: [] as string[][],
    probed: [] as string[],
    withSessions: new Set<string>(),
    refuseStop: false,
  };
  const logger = silentLogger();
  const info = vi.spyOn(logger, 'info');
  const deps: ActivityDeps = {
    running: () => state.vms,
    usage: async (h) => {
      if (state.gone.has(h.pid)) throw new Error('gone');
      return { cpuSeconds: state.cpu.get(h.pid) ?? 0, rssBytes: 1000 };
    },
    connections: (ips) => {
      state.askedIps.push([...ips]);
      return new Map([...state.connections].filter(([ip]) => ips.has(ip)));
    },
    busy: (id) => state.busy.has(id),
    probeAgent: async (id) => {
      state.probed.push(id);
      if (id === 'bb') throw new Error('a failed probe changes nothing');
      return state.withSessions.has(id);
    },
    stop: async (id) => {
      if (state.refuseStop) return false;
      state.stopped.push(id);
      return true;
    },
    logger,
    stopAfterMs: o.stopAfterMs,
    now: () => state.now,
  };
  return { state, info, monitor: new ActivityMonitor(deps) };
}

describe('ActivityMonitor', () => {
  afterEach(() => vi.useRealTimers());

  it('samples CPU share between rounds and asks for connections of running guests only', async () => {
    const { state, monitor } = world({ vms: [vm('a', 1), vm('bb', 2)] });
    await monitor.tick();
    expect(monitor.sample('a')).toEqual({
      pid: 1,
      at: START,
      cpuSeconds: 0,
      rssBytes: 1000,
      connections: 0,
      lastActiveAt: START,
    });
    state.now += 4000;
    state.cpu.set(1, 1); // 1 s of CPU in 4 s: 25 %
    await monitor.tick();
    expect(monitor.sample('a')?.cpuPercent).toBe(25);
    expect(monitor.sample('bb')?.cpuPercent).toBe(0);
    expect(state.askedIps).toEqual([
      ['10.0.0.1', '10.0.0.2'],
      ['10.0.0.1', '10.0.0.2'],
    ]);
    expect(state.probed).toEqual(['a', 'bb', 'a', 'bb']);
  });

  it('without stopAfterMs never stops and gives no stop time', async () => {
    const { state, monitor } = world({ vms: [vm('a')] });
    for (let i = 0; i < 5; i++) {
      await monitor.tick();
      state.now += 3_600_000;
    }
    expect(state.stopped).toEqual([]);
    expect(monitor.autoStopAt('a')).toBeUndefined();
  });

  it('stops a VM idle for stopAfterMs, once, and logs it', async () => {
    const { state, monitor, info } = world({ stopAfterMs: 10_000, vms: [vm('a')] });
    await monitor.tick();
    expect(monitor.autoStopAt('a')).toBe(START + 10_000);
    state.now += 9_999;
    await monitor.tick();
    expect(state.stopped).toEqual([]);
    state.now += 1;
    await monitor.tick();
    expect(state.stopped).toEqual(['a']);
    expect(info).toHaveBeenCalledWith(
      { vmId: 'a', name: 'vm-a', idleMs: 10_000, stopAfterMs: 10_000 },
      'auto-stop: stopped an idle VM',
    );
    expect(monitor.sample('a')).toBeUndefined();
    expect(monitor.autoStopAt('a')).toBeUndefined();
  });

  it.each([
    ['a connection', (s: ReturnType<typeof world>['state']) => s.connections.set('10.0.0.1', 1)],
    ['an operation in progress', (s: ReturnType<typeof world>['state']) => s.busy.add('a')],
    ['a running session', (s: ReturnType<typeof world>['state']) => s.withSessions.add('a')],
    [
      'CPU at the threshold',
      (s: ReturnType<typeof world>['state']) => s.cpu.set(100, (s.cpu.get(100) ?? 0) + 0.06),
    ],
  ])('%s counts as activity and pushes the stop back', async (_what, activity) => {
    const { state, monitor } = world({ stopAfterMs: 10_000, vms: [vm('a')] });
    await monitor.tick();
    for (let i = 0; i < 5; i++) {
      state.now += 3000;
      activity(state);
      await monitor.tick();
    }
    expect(state.stopped).toEqual([]);
    expect(monitor.autoStopAt('a')).toBe(state.now + 10_000);
    // Activity ends: stopped stopAfterMs later.
    state.connections.clear();
    state.busy.clear();
    state.withSessions.clear();
    state.now += 10_000;
    await monitor.tick();
    expect(state.stopped).toEqual(['a']);
  });

  it(`counts CPU just under ${IDLE_CPU_PERCENT}% as idle`, async () => {
    const { state, monitor } = world({ stopAfterMs: 10_000, vms: [vm('a')] });
    await monitor.tick();
    for (let i = 0; i < 4; i++) {
      state.now += 3000;
      state.cpu.set(100, (state.cpu.get(100) ?? 0) + 0.059);
      await monitor.tick();
    }
    expect(state.stopped).toEqual(['a']);
  });

  it('restarts the idle clock for a new process, and for a start the same pid number saw again', async () => {
    const { state, monitor } = world({ stopAfterMs: 10_000, vms: [vm('a', 1)] });
    await monitor.tick();
    state.now += 8000;
    state.vms = [vm('a', 2)];
    state.cpu.set(2, 500); // another process's counter: not a delta
    await monitor.tick();
    expect(monitor.sample('a')?.cpuPercent).toBeUndefined();
    expect(monitor.autoStopAt('a')).toBe(state.now + 10_000);
    // The VM restarted and its new Firecracker got pid 2 again: its start time still counts.
    state.now += 9000;
    state.vms = [vm('a', 2, new Date(state.now - 500).toISOString())];
    await monitor.tick();
    expect(monitor.autoStopAt('a')).toBe(state.now - 500 + 10_000);
    expect(state.stopped).toEqual([]);
  });

  it('forgets VMs that stopped or whose process is gone, without stopping them', async () => {
    const { state, monitor } = world({ stopAfterMs: 1000, vms: [vm('a', 1), vm('bb', 2)] });
    await monitor.tick();
    state.vms = [vm('bb', 2)];
    state.gone.add(2);
    state.now += 5000;
    await monitor.tick();
    expect(monitor.sample('a')).toBeUndefined();
    expect(monitor.sample('bb')).toBeUndefined();
    expect(state.stopped).toEqual([]);
  });

  it('counts a touch (a session request) as activity, and logs only a stop that happened', async () => {
    const { state, monitor, info } = world({ stopAfterMs: 10_000, vms: [vm('a')] });
    await monitor.tick();
    state.now += 9000;
    monitor.touch('a');
    expect(monitor.stillIdle('a')).toBe(false);
    state.now += 9000;
    await monitor.tick();
    expect(state.stopped).toEqual([]);
    state.now += 1000;
    expect(monitor.stillIdle('a')).toBe(true);
    // The service found it active again under its lock: nothing stopped, nothing logged, still tracked.
    state.refuseStop = true;
    await monitor.tick();
    expect(state.stopped).toEqual([]);
    expect(info).not.toHaveBeenCalledWith(expect.anything(), 'auto-stop: stopped an idle VM');
    expect(monitor.sample('a')).toBeDefined();
    monitor.touch('nope'); // an unknown VM: nothing to do
  });

  it('start() samples on its interval and close() stops it', async () => {
    vi.useFakeTimers();
    const { state, monitor } = world({ vms: [vm('a')] });
    monitor.start(1000);
    await vi.advanceTimersByTimeAsync(3500);
    expect(state.askedIps).toHaveLength(3);
    await monitor.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(state.askedIps).toHaveLength(3);
  });
});
