import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostNetwork } from '../../src/host/network/host-network.js';
import { type ChildServer, startChildServer } from '../dns/child-server.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { recordingLog, TAP_UID } from './harness.js';

/**
 * Topology, every namespace private to this test:
 *
 *   guest (172.16.0.2) ─veth─ banger0 172.16.0.1/24 ── fake host
 *                                                       real DnsServer on 172.16.0.1:42069 (UDP)
 *
 * The guest's resolv.conf names the bridge address, and its resolver can
 * only ask port 53; HostNetwork.start's `banger:dns` REDIRECT is what makes
 * that reach the server. The guest stands on a veth, not a TAP (see
 * nat-traffic.test.ts): the rule matches the bridge, so this is what a
 * Firecracker guest sees.
 */
const PORT = 42069;

describe("guests' port-53 DNS reaches bangerd's bridge listener", () => {
  let host: TestNetns;
  let guest: TestNetns;
  let server: ChildServer | undefined;
  const log = recordingLog();
  const make = (port = PORT) =>
    new HostNetwork({
      runner: host.runner,
      log,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 1,
      isVmId: (id) => /^[0-9a-f]{16}$/.test(id),
      uid: TAP_UID,
      privileged: { asRoot: true },
      dnsServer: `172.16.0.1:${port}`,
    });

  /** The guest's `dig` at the bridge address: the answer's addresses, empty when nothing answered. */
  async function ask(port: number, tcp = false): Promise<string> {
    const r = await guest.runner.run(
      [
        'dig',
        '+short',
        '+time=1',
        '+tries=1',
        ...(tcp ? ['+tcp'] : []),
        '@172.16.0.1',
        '-p',
        String(port),
        'box.vm',
      ],
      { check: false },
    );
    return r.exitCode === 0 ? r.stdout.trim() : '';
  }

  const redirectLines = async () =>
    (await host.runner.run(['iptables-save', '-t', 'nat'])).stdout
      .split('\n')
      .filter((l) => l.includes('banger:dns'));

  beforeAll(async () => {
    [host, guest] = [await createNetns('dnsrd'), await createNetns('dnsg')];
    // The bridge as a daemon that never started networking leaves it: present, no rules.
    await host.sh(
      'ip link add banger0 type bridge && ip addr add 172.16.0.1/24 dev banger0 && ip link set banger0 up',
    );
    await host.sh(
      `ip link add gv1 type veth peer name eth0 netns ${guest.name}; ip link set dev gv1 master banger0 up`,
    );
    await guest.sh('ip addr add 172.16.0.2/24 dev eth0; ip link set dev eth0 up');
    server = await startChildServer([['box', '172.16.0.2']], {
      netns: host.name,
      host: '172.16.0.1',
      port: PORT,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await destroyAllNetns();
  });

  it('gets no answer on port 53 before networking starts, though the listener answers on its port', async () => {
    let direct = '';
    // Wait for the bridge port to forward, so the port-53 failure below means something.
    for (let i = 0; i < 20 && direct === ''; i++) direct = await ask(PORT);
    expect(direct).toBe('172.16.0.2');
    expect(await ask(53)).toBe('');
    expect(await redirectLines()).toEqual([]);
  });

  it('answers on port 53 once HostNetwork has started, with both rules tagged', async () => {
    const report = await make().start(new Set());
    expect(report).toEqual({ removedTaps: [], removedRules: [], skippedRules: [] });
    expect(await ask(53)).toBe('172.16.0.2');
    expect(await redirectLines()).toEqual([
      `-A PREROUTING -d 172.16.0.1/32 -i banger0 -p tcp -m tcp --dport 53 -m comment --comment "banger:dns" -j REDIRECT --to-ports ${PORT}`,
      `-A PREROUTING -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 53 -m comment --comment "banger:dns" -j REDIRECT --to-ports ${PORT}`,
    ]);
    // bangerd has no TCP listener: the redirected TCP query is refused by the host, not answered by someone else.
    expect(await ask(53, true)).toBe('');
  });

  it('adds no duplicate on a second start, and the reconcile leaves the rules alone', async () => {
    const before = await redirectLines();
    const restarted = make(); // a restarted daemon
    expect(await restarted.start(new Set())).toEqual({ removedTaps: [], removedRules: [], skippedRules: [] });
    expect(await restarted.redirectGuestDns()).toEqual({ added: 0, removed: 0 });
    expect(await redirectLines()).toEqual(before);
    expect(await ask(53)).toBe('172.16.0.2');
  });

  it('replaces a stale rule for another port and never touches an untagged look-alike', async () => {
    await host.sh(
      [
        'iptables -w -t nat -D PREROUTING -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 53 -m comment --comment banger:dns -j REDIRECT --to-ports 42069',
        'iptables -w -t nat -I PREROUTING -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 53 -m comment --comment banger:dns -j REDIRECT --to-ports 5353',
        'iptables -w -t nat -A PREROUTING -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 5300 -j REDIRECT --to-ports 5353',
      ].join('; '),
    );
    expect(await ask(53)).toBe(''); // the stale rule points where nothing listens
    expect(await make().redirectGuestDns()).toEqual({ added: 1, removed: 1 });
    const lines = await redirectLines();
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith(`--to-ports ${PORT}`))).toBe(true);
    expect((await host.runner.run(['iptables-save', '-t', 'nat'])).stdout).toContain(
      '--dport 5300 -j REDIRECT',
    );
    expect(await ask(53)).toBe('172.16.0.2');
  });

  it('times out again once the rules are gone', async () => {
    for (const line of await redirectLines()) {
      const args = line.replace(/^-A /, '').replace('"banger:dns"', 'banger:dns').split(' ');
      await host.runner.run(['iptables', '-w', '-t', 'nat', '-D', ...args]);
    }
    expect(await ask(53)).toBe('');
    expect(await ask(PORT)).toBe('172.16.0.2');
    expect(log.warnings).toEqual([]);
  });
});
