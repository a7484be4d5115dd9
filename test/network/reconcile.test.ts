import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapNameForVm } from '../../src/domain/network.js';
import { reconcileNetwork } from '../../src/host/network/reconcile.js';
import { destroyAllNetns, networkSnapshot } from '../support/netns.js';
import { type HostNetwork, hostNetwork } from './harness.js';

/** The id syntax the store would supply: 26 lowercase base-36 characters. */
const isVmId = (id: string) => /^[0-9a-z]{26}$/.test(id);
const id = (c: string) => c.repeat(26);
const kept = id('k');
const orphan = id('o');
const tapOnly = id('t');
const unknown = id('u');

const masq = (comment: string) =>
  `iptables -w -t nat -A POSTROUTING -s 172.16.0.9/32 ! -o banger0 -m comment --comment ${comment} -j MASQUERADE`;

describe('reconcile', () => {
  let net: HostNetwork;

  beforeAll(async () => {
    net = await hostNetwork('reconcile', { poolSize: 2 });
    const { pool, nat, ns } = net;
    // banger's own: a running VM to keep, an orphan with NAT, an orphan with only a TAP
    await pool.acquire(kept);
    await pool.acquire(orphan);
    await pool.acquire(tapOnly);
    await nat.enable({ vmId: kept, guestIp: '172.16.0.2', bridge: 'banger0' });
    await nat.enable({ vmId: orphan, guestIp: '172.16.0.3', bridge: 'banger0' });
    await pool.settled();
    // foreign look-alikes that must never be touched
    await ns.sh(
      [
        'ip link add bgr-foreign type bridge',
        'ip tuntap add dev bgrpoolx mode tap user 4242',
        'ip link set dev bgrpoolx master banger0 alias banger-pool',
        // exact VM name and tag, but not a TAP
        `ip link add ${tapNameForVm(unknown)} type bridge`,
        `ip link set dev ${tapNameForVm(unknown)} alias banger:${unknown}`,
        // exact tag, wrong name
        'ip tuntap add dev bgr-lookalike1 mode tap user 4242',
        `ip link set dev bgr-lookalike1 master banger0 alias banger:${unknown}`,
        // right name shape, no tag
        `ip tuntap add dev ${tapNameForVm(id('n'))} mode tap user 4242`,
        // tag of an id the store's syntax rejects
        `ip tuntap add dev ${tapNameForVm(`${orphan}-extra`)} mode tap user 4242`,
        `ip link set dev ${tapNameForVm(`${orphan}-extra`)} alias banger:${orphan}-extra`,
        masq(`banger:${orphan.slice(0, 10)}`),
        masq(`banger:${orphan}-extra`),
        masq(`notbanger:${orphan}`),
        masq(`Banger:${orphan}`),
        `iptables -w -A FORWARD -i eth9 -m comment --comment banger:${orphan} -j DROP`,
        'iptables -w -A FORWARD -i eth9 -j ACCEPT',
      ].join('\n'),
    );
  });
  afterAll(destroyAllNetns);

  it('removes TAPs and rules of VMs not kept, and nothing else', async () => {
    const before = await networkSnapshot(net.runner);
    const report = await reconcileNetwork({ ...net, isVmId, keepVmIds: new Set([kept]) });

    expect(report.removedTaps.sort()).toEqual([tapNameForVm(orphan), tapNameForVm(tapOnly)].sort());
    expect(report.removedRules).toHaveLength(3);
    expect(report.removedRules.every((r) => r.includes(`--comment banger:${orphan} `))).toBe(true);
    expect(report.skippedRules).toEqual([
      `filter FORWARD -i eth9 -m comment --comment banger:${orphan} -j DROP`,
    ]);

    const after = await networkSnapshot(net.runner);
    const gone = (line: string) =>
      line.includes(`: ${tapNameForVm(orphan)}:`) ||
      line.includes(`: ${tapNameForVm(tapOnly)}:`) ||
      (line.includes(`"banger:${orphan}"`) && !line.includes('-j DROP'));
    const expected = Object.fromEntries(
      Object.entries(before).map(([k, text]: [string, string]) => [
        k,
        text
          .split('\n')
          .filter((l) => !gone(l))
          .join('\n'),
      ]),
    );
    expect(after).toEqual(expected);
    expect(after.link).toContain(`${tapNameForVm(kept)}:`);
    expect(after.iptables.match(new RegExp(`"banger:${kept}"`, 'g'))).toHaveLength(3);
    expect(after.link.match(/bgrpool-\d+:/g)).toHaveLength(2);
  });

  it('is idempotent', async () => {
    const before = await networkSnapshot(net.runner);
    const report = await reconcileNetwork({ ...net, isVmId, keepVmIds: new Set([kept]) });
    expect(report).toMatchObject({ removedTaps: [], removedRules: [] });
    expect(await networkSnapshot(net.runner)).toEqual(before);
  });

  it('removes the last VM’s resources once it is no longer kept, still sparing the look-alikes', async () => {
    const report = await reconcileNetwork({ ...net, isVmId, keepVmIds: new Set() });
    expect(report.removedTaps).toEqual([tapNameForVm(kept)]);
    expect(report.removedRules).toHaveLength(3);
    const after = await networkSnapshot(net.runner);
    for (const name of [
      'bgr-foreign',
      'bgrpoolx',
      'bgr-lookalike1',
      tapNameForVm(unknown),
      tapNameForVm(id('n')),
    ]) {
      expect(after.link).toContain(`: ${name}:`);
    }
    expect(after.iptables.split('\n').filter((l) => l.startsWith('-A '))).toHaveLength(6);
    expect(
      net.log.warnings.every((w) => w.startsWith('not deleting a tagged rule banger does not create')),
    ).toBe(true);
  });
});
