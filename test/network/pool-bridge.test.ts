import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { tapNameForVm } from '../../src/domain/network.js';
import { ensureBridge, inspectBridge } from '../../src/host/network/bridge.js';
import { listLinks } from '../../src/host/network/links.js';
import { PrivilegedRunner } from '../../src/host/network/privileged.js';
import { TapPool } from '../../src/host/network/tap-pool.js';
import type { Runner, RunOptions } from '../../src/host/runner.js';
import { testVmId } from '../../src/testing/grant.js';
import { destroyAllNetns, networkSnapshot } from '../support/netns.js';
import { type HostNetwork, hostNetwork, recordingLog, TAP_UID } from './harness.js';

/** Records the argv of every command (inside the namespace) so tests can count what ran. */
class Recording implements Runner {
  readonly lines: string[] = [];
  constructor(private readonly inner: Runner) {}
  run(argv: readonly string[], options?: RunOptions) {
    this.lines.push(argv.join(' '));
    return this.inner.run(argv, options);
  }
}

describe('TAP pool and bridge in a real namespace', () => {
  let net: HostNetwork;
  let recording: Recording;

  beforeAll(async () => {
    net = await hostNetwork('pool', {
      runner: (ns) => {
        recording = new Recording(ns);
        return recording;
      },
    });
  });
  afterAll(destroyAllNetns);

  const ip = '/usr/sbin/ip';

  it('starts with a warm pool of idle, down, user-owned TAPs on the bridge', async () => {
    const pool = (await listLinks(net.runner, ip)).filter((l) => l.name.startsWith('bg39u-p'));
    expect(pool.map((l) => l.name).sort()).toEqual(['bg39u-p0', 'bg39u-p1', 'bg39u-p2', 'bg39u-p3']);
    for (const link of pool) {
      expect(link).toMatchObject({ kind: 'tun', tunType: 'tap', tunOwner: TAP_UID, master: 'banger0' });
      expect(link).toMatchObject({ alias: 'banger-pool', up: false });
    }
  });

  it('gives 20 concurrent acquires 20 distinct working TAPs and refills the pool', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => testVmId(i + 1));
    const taps = await Promise.all(ids.map((id) => net.pool.acquire(id)));
    expect(new Set(taps).size).toBe(20);
    await net.pool.settled();
    const links = new Map((await listLinks(net.runner, ip)).map((l) => [l.name, l]));
    for (const [i, id] of ids.entries()) {
      expect(taps[i]).toBe(tapNameForVm(id, TAP_UID));
      expect(links.get(tapNameForVm(id, TAP_UID))).toMatchObject({
        kind: 'tun',
        tunOwner: TAP_UID,
        master: 'banger0',
        alias: `banger:${id}`,
        up: true,
      });
    }
    expect([...links.keys()].filter((n) => n.startsWith('bg39u-p'))).toHaveLength(4);
    expect(net.pool.idleCount).toBe(4);
    const released = await Promise.all(ids.map((id) => net.pool.release(id)));
    expect(released.every(Boolean)).toBe(true);
    expect(await Promise.all(ids.map((id) => net.pool.release(id)))).toEqual(ids.map(() => false));
  });

  it('reuses an existing TAP of the same VM instead of failing', async () => {
    const again = testVmId('again');
    const first = await net.pool.acquire(again);
    expect(await net.pool.acquire(again)).toBe(first);
    await net.pool.release(again);
    await net.pool.settled();
  });

  it('lets a restarted daemon adopt the idle TAPs without creating any', async () => {
    const before = await networkSnapshot(net.runner);
    recording.lines.length = 0;
    const log = recordingLog();
    const next = new TapPool({
      runner: recording,
      priv: net.priv,
      bridge: 'banger0',
      uid: TAP_UID,
      size: 4,
      log,
    });
    await next.start();
    await next.settled();
    expect(next.idleCount).toBe(4);
    expect(recording.lines.filter((l) => l.includes('tuntap') || l.includes(' del '))).toEqual([]);
    expect(await networkSnapshot(net.runner)).toEqual(before);
    // A smaller pool deletes its surplus.
    const smaller = new TapPool({
      runner: recording,
      priv: net.priv,
      bridge: 'banger0',
      uid: TAP_UID,
      size: 2,
      log,
    });
    await smaller.start();
    expect(smaller.idleCount).toBe(2);
    const names = (await listLinks(net.runner, ip)).map((l) => l.name).filter((n) => n.startsWith('bg39u-p'));
    expect(names).toHaveLength(2);
    await smaller.drain();
    expect((await listLinks(net.runner, ip)).some((l) => l.name.startsWith('bg39u-p'))).toBe(false);
    expect(log.warnings).toEqual([]);
  });

  it('ensures the bridge idempotently and refuses to re-address it under running VMs', async () => {
    const config = net.bridge;
    const before = await networkSnapshot(net.runner);
    expect(await ensureBridge(net.runner, net.priv, config, { vmsRunning: true })).toEqual({
      created: false,
      readdressed: false,
    });
    expect(await networkSnapshot(net.runner)).toEqual(before);

    const moved = { ...config, gatewayIp: '10.20.0.1', cidr: '10.20.0.0/24' };
    // a daemon whose config moved the bridge (its grant moved with it)
    const movedPriv = new PrivilegedRunner(net.runner, {
      asRoot: true,
      grant: { ...net.priv.grant, bridgeIp: moved.gatewayIp, cidr: moved.cidr },
    });
    const err = await ensureBridge(net.runner, movedPriv, moved, { vmsRunning: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('conflict');
    expect(await networkSnapshot(net.runner)).toEqual(before);

    expect(await ensureBridge(net.runner, movedPriv, moved, { vmsRunning: false })).toEqual({
      created: false,
      readdressed: true,
    });
    const status = await inspectBridge(net.runner, ip, moved);
    expect(status).toMatchObject({ ready: true, managed: true, addresses: ['10.20.0.1/24'] });
    expect((await networkSnapshot(net.runner)).route).toContain('10.20.0.0/24 dev banger0');
    const bridge = (await listLinks(net.runner, ip)).find((l) => l.name === 'banger0');
    expect(bridge?.mac).toBe('06:00:ac:10:00:01'); // fixed at creation, never the MAC of a port
  });
});
