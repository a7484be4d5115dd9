import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextFreeAddress, tapNameForVm } from '../../src/domain/network.js';
import { getLink } from '../../src/host/network/links.js';
import { testVmId } from '../../src/testing/grant.js';
import { destroyAllNetns, networkSnapshot } from '../support/netns.js';
import { type HostNetwork, hostNetwork, POOL_LINE, TAP_UID } from './harness.js';

const CYCLES = 200;
const LANES = 4;

describe('the network part of 200 VM create/delete cycles', () => {
  let net: HostNetwork;

  beforeAll(async () => {
    net = await hostNetwork('cycles');
  });
  afterAll(destroyAllNetns);

  it('leaves links, addresses, routes and iptables exactly as before, pool TAPs aside', async () => {
    const { pool, nat, runner, bridge } = net;
    // Forwarding is turned on by the first NAT and never off again: settle it before the snapshot.
    await nat.enable({ vmId: testVmId('warmup'), guestIp: '172.16.0.250', bridge: bridge.name });
    await nat.disable(testVmId('warmup'));
    const before = await networkSnapshot(runner, POOL_LINE);
    expect(before.link).toContain('banger0');

    // A little parallelism, as a daemon creating a few VMs at once would have: LANES workers, each
    // with its own guest address, share the pool and the (serialised) NAT module.
    const cycle = async (i: number, guestIp: string) => {
      const vmId = testVmId(i + 1);
      const tap = await pool.acquire(vmId);
      expect(tap).toBe(tapNameForVm(vmId, TAP_UID));
      if (i % 50 === 0) {
        const link = await getLink(runner, '/usr/sbin/ip', tap);
        expect(link).toMatchObject({
          kind: 'tun',
          tunOwner: TAP_UID,
          master: 'banger0',
          alias: `banger:${vmId}`,
          up: true,
        });
      }
      expect(await nat.enable({ vmId, guestIp, bridge: bridge.name })).toEqual({ added: 3, removed: 0 });
      if (i % 10 === 0)
        expect(await nat.enable({ vmId, guestIp, bridge: bridge.name })).toEqual({ added: 0, removed: 0 });
      expect(await nat.disable(vmId)).toEqual({ removed: 3 });
      expect(await pool.release(vmId)).toBe(true);
    };
    const used = new Set<string>();
    const lanes = Array.from({ length: LANES }, () => {
      const ip = nextFreeAddress(bridge.cidr, bridge.gatewayIp, used);
      used.add(ip);
      return ip;
    });
    const started = performance.now();
    await Promise.all(
      lanes.map(async (guestIp, lane) => {
        for (let i = lane; i < CYCLES; i += LANES) await cycle(i, guestIp);
      }),
    );
    await pool.settled();
    const seconds = (performance.now() - started) / 1000;
    console.log(`${CYCLES} network create/delete cycles took ${seconds.toFixed(1)} s`);

    expect(await networkSnapshot(runner, POOL_LINE)).toEqual(before);
    expect(pool.idleCount).toBe(4);
    expect(net.log.warnings).toEqual([]);
    expect(await pool.release(testVmId(1))).toBe(false);
  });
});
