import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapNameForVm } from '../../src/domain/network.js';
import { HostNetwork } from '../../src/host/network/host-network.js';
import { getLink } from '../../src/host/network/links.js';
import type { RunOptions } from '../../src/host/runner.js';
import { testVmId } from '../../src/testing/grant.js';
import { createNetns, destroyAllNetns, networkSnapshot, type TestNetns } from '../support/netns.js';
import { POOL_LINE, recordingLog, TAP_UID } from './harness.js';

const isVmId = (id: string) => /^[0-9a-f]{16}$/.test(id);
const [VM1, VM2, VM3, VM4, VM5, VM6] = [1, 2, 3, 4, 5, 6].map(testVmId) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const UID = TAP_UID;

describe('HostNetwork, the daemon’s entry point', () => {
  let ns: TestNetns;
  let net: HostNetwork;
  const log = recordingLog();
  /** The programs the daemon side ran, in order (the snapshots' own commands go around it). */
  const programs: string[] = [];
  const options = () => ({
    runner: {
      run: (argv: readonly string[], o?: RunOptions) => {
        programs.push(argv[0] ?? '');
        return ns.runner.run(argv, o);
      },
    },
    log,
    bridgeName: 'banger0',
    bridgeIp: '172.16.0.1',
    cidr: '172.16.0.0/24',
    tapPoolSize: 2,
    isVmId,
    uid: TAP_UID,
    privileged: { asRoot: true, user: 'root' },
  });
  const make = () => new HostNetwork(options());

  beforeAll(async () => {
    ns = await createNetns('facade');
    // Make iptables-nft create its tables now, so snapshots compare rules rather than table births.
    await ns.sh(
      'iptables -w -t nat -N warmup; iptables -w -t nat -X warmup; iptables -w -N warmup; iptables -w -X warmup',
    );
    net = make();
  });
  afterAll(destroyAllNetns);

  it('creates the bridge and the pool on first start', async () => {
    expect(await net.start(new Set())).toEqual({ removedTaps: [], removedRules: [], skippedRules: [] });
    await net.pool.settled();
    expect((await net.inspectBridge()).ready).toBe(true);
    expect(net.pool.idleCount).toBe(2);
  });

  it('attaches a VM with NAT and detaches it without a trace', async () => {
    const before = await networkSnapshot(ns.runner, POOL_LINE);
    const { tap, mac } = await net.attach({ vmId: VM1, guestIp: '172.16.0.2', nat: true });
    expect(tap).toBe(tapNameForVm(VM1, UID));
    expect(mac).toBe('06:00:ac:10:00:02');
    expect(
      (await networkSnapshot(ns.runner)).iptables.match(new RegExp(`"banger:${VM1}"`, 'g')),
    ).toHaveLength(3);
    await net.setNat({ vmId: VM1, guestIp: '172.16.0.2', nat: false });
    expect((await networkSnapshot(ns.runner)).iptables).not.toContain(`banger:${VM1}`);
    await net.detach(VM1);
    await net.detach(VM1);
    await net.pool.settled();
    expect(await networkSnapshot(ns.runner, POOL_LINE)).toEqual(before);
  });

  it('leaves nothing behind when NAT fails during attach', async () => {
    const before = await networkSnapshot(ns.runner, POOL_LINE);
    await expect(net.attach({ vmId: VM2, guestIp: 'not-an-ip', nat: true })).rejects.toThrow(
      /not one of banger's privileged commands/,
    );
    await net.pool.settled();
    expect(await getLink(ns.runner, '/usr/sbin/ip', tapNameForVm(VM2, UID))).toBeUndefined();
    expect(await networkSnapshot(ns.runner, POOL_LINE)).toEqual(before);
  });

  it("skips the rule clean-up on a VM's first start without NAT (its new id can have no rules), not on a later one", async () => {
    const iptablesCalls = async (attach: () => Promise<unknown>) => {
      programs.length = 0;
      await attach();
      return programs.filter((p) => p.includes('iptables')).length;
    };
    expect(
      await iptablesCalls(() =>
        net.attach({ vmId: VM5, guestIp: '172.16.0.5', nat: false, firstStart: true }),
      ),
    ).toBe(0);
    expect(
      await iptablesCalls(() => net.attach({ vmId: VM6, guestIp: '172.16.0.6', nat: false })),
    ).toBeGreaterThan(0);
    // NAT on a first start still makes its rules.
    await net.detach(VM5);
    await net.attach({ vmId: VM5, guestIp: '172.16.0.5', nat: true, firstStart: true });
    expect((await networkSnapshot(ns.runner)).iptables).toContain(`banger:${VM5}`);
    await net.detach(VM5);
    await net.detach(VM6);
    expect((await networkSnapshot(ns.runner)).iptables).not.toMatch(new RegExp(`banger:(${VM5}|${VM6})`));
  });

  it('after a crash, a new daemon keeps running VMs and cleans up the rest', async () => {
    await net.attach({ vmId: VM3, guestIp: '172.16.0.3', nat: true });
    await net.attach({ vmId: VM4, guestIp: '172.16.0.4', nat: true });
    await net.pool.settled();
    const restarted = make(); // the old instance is simply abandoned, as in a crash
    const report = await restarted.start(new Set([VM3]));
    expect(report.removedTaps).toEqual([tapNameForVm(VM4, UID)]);
    expect(report.removedRules).toHaveLength(3);
    await restarted.pool.settled();
    expect(restarted.pool.idleCount).toBe(2);
    const after = await networkSnapshot(ns.runner);
    expect(after.iptables.match(new RegExp(`"banger:${VM3}"`, 'g'))).toHaveLength(3);
    expect(after.link).toContain(`${tapNameForVm(VM3, UID)}:`);
    // the bridge cannot move under the running VM
    const moved = new HostNetwork({ ...options(), bridgeIp: '10.1.0.1', cidr: '10.1.0.0/24' });
    await expect(moved.start(new Set([VM3]))).rejects.toThrow(/stop all VMs/);
    expect(log.warnings).toEqual([]);
  });
});
