import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testVmId } from '../../src/testing/grant.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { type HostNetwork, hostNetwork } from './harness.js';
import { probe, startServer } from './tcp-probe.js';

/**
 * Topology, every namespace private to this test:
 *
 *   guest1 (172.16.0.2) ─veth─┐
 *                             banger0 172.16.0.1/24 ── fake host ── up0 10.99.0.1/24 ─veth─ upstream (10.99.0.2)
 *   guest2 (172.16.0.3) ─veth─┘        (FORWARD policy DROP, like a host running Docker)
 *
 * A TAP carries no traffic without a process (Firecracker) reading it, so
 * each guest stands on a veth whose host end is enslaved to the bridge
 * instead; banger's rules match the bridge and the guest's address, not the
 * TAP, so this exercises exactly what a Firecracker guest would. The
 * upstream has no route back to 172.16.0.0/24: only masqueraded traffic can
 * get answers, as on a real uplink.
 */
describe('per-VM NAT, verified by traffic', () => {
  let net: HostNetwork;
  let guest1: TestNetns;
  let guest2: TestNetns;
  let upstream: TestNetns;
  const vm1 = { vmId: testVmId('guestone'), guestIp: '172.16.0.2', bridge: 'banger0' };

  async function plugGuest(guest: TestNetns, hostEnd: string, ip: string): Promise<void> {
    await net.ns.sh(
      `ip link add ${hostEnd} type veth peer name eth0 netns ${guest.name}; ip link set dev ${hostEnd} master banger0 up`,
    );
    await guest.sh(
      `ip addr add ${ip}/24 dev eth0; ip link set dev eth0 up; ip route add default via 172.16.0.1`,
    );
  }

  beforeAll(async () => {
    net = await hostNetwork('nat', { poolSize: 1 });
    [guest1, guest2, upstream] = [await createNetns('g1'), await createNetns('g2'), await createNetns('up')];
    await plugGuest(guest1, 'gv1', '172.16.0.2');
    await plugGuest(guest2, 'gv2', '172.16.0.3');
    await net.ns.sh(
      `ip link add up0 type veth peer name eth0 netns ${upstream.name}; ip addr add 10.99.0.1/24 dev up0; ip link set dev up0 up; iptables -P FORWARD DROP`,
    );
    await upstream.sh('ip addr add 10.99.0.2/24 dev eth0; ip link set dev eth0 up');
    await startServer(upstream.name, '10.99.0.2', 8080);
    await startServer(net.ns.name, '172.16.0.1', 8081);
    // The VM's own TAP, as a create would make it (idle here: see the topology note).
    await net.pool.acquire(vm1.vmId);
  });
  afterAll(destroyAllNetns);

  const forwarding = async () =>
    (await net.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim();

  it('lets a guest reach the host but not the upstream while NAT is off', async () => {
    // Wait for the bridge ports to forward, so later "unreachable" results mean something.
    let toHost: string | undefined;
    for (let i = 0; i < 20 && toHost === undefined; i++)
      toHost = await probe(guest1.runner, '172.16.0.1', 8081, 500);
    expect(toHost).toBe('172.16.0.2');
    expect(await probe(guest1.runner, '10.99.0.2', 8080)).toBeUndefined();
    expect(await forwarding()).toBe('0');
  });

  it('lets only the NAT guest reach the upstream, masqueraded, while NAT is on', async () => {
    expect(await net.nat.enable(vm1)).toEqual({ added: 3, removed: 0 });
    expect(await forwarding()).toBe('1');
    expect(await probe(guest1.runner, '10.99.0.2', 8080)).toBe('10.99.0.1');
    // Forwarding is on now, yet the guest without NAT still cannot get out.
    expect(await probe(guest2.runner, '10.99.0.2', 8080)).toBeUndefined();
    expect(await probe(guest2.runner, '172.16.0.1', 8081)).toBe('172.16.0.3');
  });

  it('cuts the guest off again when NAT is disabled', async () => {
    expect(await net.nat.disable(vm1.vmId)).toEqual({ removed: 3 });
    expect(await probe(guest1.runner, '10.99.0.2', 8080)).toBeUndefined();
    expect(await probe(guest1.runner, '172.16.0.1', 8081)).toBe('172.16.0.2');
  });

  it('works again after re-enabling, and a second enable changes nothing', async () => {
    await net.nat.enable(vm1);
    expect(await net.nat.enable(vm1)).toEqual({ added: 0, removed: 0 });
    expect(await probe(guest1.runner, '10.99.0.2', 8080)).toBe('10.99.0.1');
    await net.nat.disable(vm1.vmId);
    expect(net.log.warnings).toEqual([]);
  });
});
