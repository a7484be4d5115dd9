import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapNameForVm } from '../../src/domain/network.js';
import { reconcileNetwork } from '../../src/host/network/reconcile.js';
import { destroyAllNetns, networkSnapshot } from '../support/netns.js';
import { type HostNetwork, hostNetwork, TAP_UID } from './harness.js';

const id = (c: string) => c.repeat(16);
const kept = id('a');
const orphan = id('b');
const tapOnly = id('c');
const unknown = id('d');
/** An id of banger's form that the store does not accept. */
const rejected = id('f');
const isVmId = (x: string) => /^[0-9a-f]{16}$/.test(x) && x !== rejected;
const tap = (vmId: string, uid = TAP_UID) => tapNameForVm(vmId, uid);
/** Another banger user on the same host: its own bridge, subnet and TAPs. */
const OTHER_UID = 4343;

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
        'ip tuntap add dev bg39u-px mode tap user 4242',
        'ip link set dev bg39u-px master banger0 alias banger-pool',
        // exact VM name and tag, but not a TAP
        `ip link add ${tap(unknown)} type bridge`,
        `ip link set dev ${tap(unknown)} alias banger:${unknown}`,
        // exact tag, wrong name
        'ip tuntap add dev bgr-lookalike1 mode tap user 4242',
        `ip link set dev bgr-lookalike1 master banger0 alias banger:${unknown}`,
        // right name shape, no tag
        `ip tuntap add dev ${tap(id('e'))} mode tap user 4242`,
        // tag of an id the store's syntax rejects
        `ip tuntap add dev ${tap(rejected)} mode tap user 4242`,
        `ip link set dev ${tap(rejected)} alias banger:${rejected}`,
        // another user's running VM of an id this daemon does not know: its bridge, TAP and NAT
        'ip link add banger1 type bridge',
        `ip tuntap add dev ${tap(unknown, OTHER_UID)} mode tap user ${OTHER_UID}`,
        `ip link set dev ${tap(unknown, OTHER_UID)} master banger1 alias banger:${unknown}`,
        `iptables -w -t nat -A POSTROUTING -s 172.17.0.2/32 ! -o banger1 -m comment --comment banger:${unknown} -j MASQUERADE`,
        `iptables -w -I FORWARD -s 172.17.0.2/32 -i banger1 ! -o banger1 -m comment --comment banger:${unknown} -j ACCEPT`,
        masq(`banger:${orphan.slice(0, 10)}`),
        masq(`banger:${orphan}-extra`),
        masq(`banger:${rejected}`),
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
    const report = await reconcileNetwork({ ...net, uid: TAP_UID, isVmId, keepVmIds: new Set([kept]) });

    expect(report.removedTaps.sort()).toEqual([tap(orphan), tap(tapOnly)].sort());
    expect(report.removedRules).toHaveLength(3);
    expect(report.removedRules.every((r) => r.includes(`--comment banger:${orphan} `))).toBe(true);
    expect(report.skippedRules.sort()).toEqual(
      [
        `filter FORWARD -i eth9 -m comment --comment banger:${orphan} -j DROP`,
        `nat POSTROUTING -s 172.17.0.2/32 ! -o banger1 -m comment --comment banger:${unknown} -j MASQUERADE`,
        `filter FORWARD -s 172.17.0.2/32 -i banger1 ! -o banger1 -m comment --comment banger:${unknown} -j ACCEPT`,
      ].sort(),
    );

    const after = await networkSnapshot(net.runner);
    const gone = (line: string) =>
      line.includes(`: ${tap(orphan)}:`) ||
      line.includes(`: ${tap(tapOnly)}:`) ||
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
    expect(after.link).toContain(`${tap(kept)}:`);
    expect(after.iptables.match(new RegExp(`"banger:${kept}"`, 'g'))).toHaveLength(3);
    expect(after.link.match(/bg39u-p\d+:/g)).toHaveLength(2);
  });

  it('is idempotent', async () => {
    const before = await networkSnapshot(net.runner);
    const report = await reconcileNetwork({ ...net, uid: TAP_UID, isVmId, keepVmIds: new Set([kept]) });
    expect(report).toMatchObject({ removedTaps: [], removedRules: [] });
    expect(await networkSnapshot(net.runner)).toEqual(before);
  });

  it('removes the last VM’s resources once it is no longer kept, still sparing the look-alikes', async () => {
    const report = await reconcileNetwork({ ...net, uid: TAP_UID, isVmId, keepVmIds: new Set() });
    expect(report.removedTaps).toEqual([tap(kept)]);
    expect(report.removedRules).toHaveLength(3);
    const after = await networkSnapshot(net.runner);
    for (const name of [
      'bgr-foreign',
      'bg39u-px',
      'bgr-lookalike1',
      tap(unknown),
      tap(id('e')),
      tap(rejected),
      tap(unknown, OTHER_UID),
    ]) {
      expect(after.link).toContain(`: ${name}`);
    }
    expect(after.iptables.split('\n').filter((l) => l.startsWith('-A '))).toHaveLength(9);
    expect(
      net.log.warnings.every((w) => w.startsWith('not deleting a tagged rule banger does not create')),
    ).toBe(true);
  });
});
