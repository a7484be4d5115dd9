import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapNameForVm } from '../../src/domain/network.js';
import { HostNetwork } from '../../src/host/network/host-network.js';
import { testVmId } from '../../src/testing/grant.js';
import { type ChildServer, startChildServer } from '../dns/child-server.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { recordingLog, TAP_UID } from './harness.js';
import { probe, startServer } from './tcp-probe.js';

/**
 * Topology, every namespace private to this test:
 *
 *   guest1 (172.16.0.2) ─veth─┐                      fake host: TCP :8081 on 0.0.0.0, :8082 on ::
 *   guest2 (172.16.0.3) ─veth─┼─ banger0 172.16.0.1/24   DNS (bangerd stand-in) on 172.16.0.1:42069
 *   guest3 (172.16.0.4) ─veth─┘                          up0 10.99.0.1/24 ─veth─ upstream 10.99.0.2 (TCP :8085)
 *
 * Each guest stands on a veth whose host end carries its VM's TAP name (a
 * TAP carries no traffic without Firecracker; see nat-traffic.test.ts), so
 * HostNetwork.start treats it as a running VM's port. guest1 and guest3
 * route to each other through the host (a /32 via 172.16.0.1, redirects
 * ignored) while IPv4 forwarding is on, as it is once any VM used NAT:
 * that path never touches the bridge ports' isolation, only iptables. The
 * upstream has no route back to the guests: only NAT gets answers from it.
 *
 * Everything runs twice: without br_netfilter in the fake host, so bridged
 * guest-to-guest frames never see iptables and only the ports' isolation
 * separates guests, and with it (Docker hosts), where they also pass
 * `filter FORWARD`.
 */
const BR_NETFILTER = existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
const DNS_PORT = 42069;
const ids = [testVmId('isoone'), testVmId('isotwo'), testVmId('isothree')] as const;
const taps = ids.map((id) => tapNameForVm(id, TAP_UID));

describe.each([{ brNetfilter: false }, { brNetfilter: true }])(
  'guest isolation, verified by traffic (br_netfilter: $brNetfilter)',
  ({ brNetfilter }) => {
    let host: TestNetns;
    let guest1: TestNetns;
    let guest2: TestNetns;
    let guest3: TestNetns;
    let upstream: TestNetns;
    let dns: ChildServer | undefined;
    let linkLocal = '';
    const log = recordingLog();
    const make = (guestIsolation: boolean) =>
      new HostNetwork({
        runner: host.runner,
        log,
        bridgeName: 'banger0',
        bridgeIp: '172.16.0.1',
        cidr: '172.16.0.0/24',
        tapPoolSize: 0,
        isVmId: (id) => /^[0-9a-f]{16}$/.test(id),
        uid: TAP_UID,
        privileged: { asRoot: true },
        dnsServer: `172.16.0.1:${DNS_PORT}`,
        guestIsolation,
      });
    const running = new Set(ids);

    async function plugGuest(guest: TestNetns, hostEnd: string, ip: string): Promise<void> {
      await host.sh(
        `ip link add ${hostEnd} type veth peer name eth0 netns ${guest.name}; ip link set dev ${hostEnd} master banger0 up`,
      );
      await guest.sh(
        [
          `ip addr add ${ip}/24 dev eth0`,
          'ip link set dev eth0 up',
          'ip route add default via 172.16.0.1',
          'sysctl -qw net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.eth0.accept_redirects=0',
        ].join('; '),
      );
    }

    /** The guest's `dig` for box.vm at the bridge address; '' when nothing answered. */
    async function ask(guest: TestNetns, port: number): Promise<string> {
      const r = await guest.runner.run(
        ['dig', '+short', '+time=1', '+tries=1', '@172.16.0.1', '-p', String(port), 'box.vm'],
        { check: false },
      );
      return r.exitCode === 0 ? r.stdout.trim() : '';
    }

    /** Everything the tests look at, reached from guest1 unless said otherwise. */
    async function reach() {
      return {
        hostBridge: await probe(guest1.runner, '172.16.0.1', 8081),
        hostOther: await probe(guest1.runner, '10.99.0.1', 8081),
        hostLinkLocal: await probe(guest1.runner, `${linkLocal}%eth0`, 8082),
        guestDirect: await probe(guest1.runner, '172.16.0.3', 8083),
        guestRouted: await probe(guest1.runner, '172.16.0.4', 8084),
        hostToGuest: await probe(host.runner, '172.16.0.3', 8083),
        dns53: await ask(guest1, 53),
        dnsPort: await ask(guest1, DNS_PORT),
      };
    }

    const OPEN = {
      hostBridge: '172.16.0.2',
      hostOther: '172.16.0.2',
      guestDirect: '172.16.0.2',
      guestRouted: '172.16.0.2',
      hostToGuest: '172.16.0.1',
      dns53: '172.16.0.2',
      dnsPort: '172.16.0.2',
    };
    const ISOLATED = {
      hostBridge: undefined,
      hostOther: undefined,
      hostLinkLocal: undefined,
      guestDirect: undefined,
      guestRouted: undefined,
      hostToGuest: '172.16.0.1',
      dns53: '172.16.0.2',
      dnsPort: '172.16.0.2',
    };

    const isolateLines = async () =>
      (await host.runner.run(['iptables-save', '-t', 'filter'])).stdout
        .split('\n')
        .filter((l) => l.includes('banger:isolate'));
    const inputChain = async () =>
      (await host.runner.run(['iptables-save', '-t', 'filter'])).stdout
        .split('\n')
        .filter((l) => l.startsWith('-A INPUT'));

    /** The isolation flag of each guest port, in `taps` order. */
    const isolatedFlags = async (names: readonly string[] = taps) => {
      const out = (await host.runner.run(['ip', '-d', '-j', 'link', 'show'])).stdout;
      const links = JSON.parse(out) as {
        ifname: string;
        linkinfo?: { info_slave_data?: { isolated?: boolean } };
      }[];
      return names.map((n) => links.find((l) => l.ifname === n)?.linkinfo?.info_slave_data?.isolated);
    };
    const bridgeIpv6Off = async () =>
      (await host.runner.run(['sysctl', '-n', 'net.ipv6.conf.banger0.disable_ipv6'])).stdout.trim();

    beforeAll(async () => {
      // The Docker-host case must run, not quietly disappear: say what the kernel lacks.
      if (brNetfilter && !BR_NETFILTER)
        throw new Error('this test needs br_netfilter: modprobe br_netfilter');
      host = await createNetns('iso');
      if (BR_NETFILTER) await host.sh(`sysctl -qw net.bridge.bridge-nf-call-iptables=${brNetfilter ? 1 : 0}`);
      [guest1, guest2, guest3] = [
        await createNetns('isog1'),
        await createNetns('isog2'),
        await createNetns('isog3'),
      ];
      upstream = await createNetns('isoup');
      // A daemon without isolation made the bridge; then its VMs came up.
      await make(false).start(new Set());
      await plugGuest(guest1, taps[0] as string, '172.16.0.2');
      await plugGuest(guest2, taps[1] as string, '172.16.0.3');
      await plugGuest(guest3, taps[2] as string, '172.16.0.4');
      await guest1.sh('ip route add 172.16.0.4/32 via 172.16.0.1');
      await guest3.sh('ip route add 172.16.0.2/32 via 172.16.0.1');
      await host.sh(
        `ip link add up0 type veth peer name eth0 netns ${upstream.name}; ip addr add 10.99.0.1/24 dev up0; ip link set dev up0 up; sysctl -qw net.ipv4.ip_forward=1`,
      );
      await startServer(host.name, '0.0.0.0', 8081);
      await startServer(host.name, '::', 8082);
      await startServer(guest2.name, '172.16.0.3', 8083);
      await startServer(guest3.name, '172.16.0.4', 8084);
      await upstream.sh('ip addr add 10.99.0.2/24 dev eth0; ip link set dev eth0 up');
      await startServer(upstream.name, '10.99.0.2', 8085);
      dns = await startChildServer([['box', '172.16.0.2']], {
        netns: host.name,
        host: '172.16.0.1',
        port: DNS_PORT,
      });
      // The bridge's link-local address, once duplicate address detection is done.
      for (let i = 0; i < 50 && linkLocal === ''; i++) {
        const out = (await host.runner.run(['ip', '-6', '-j', 'addr', 'show', 'dev', 'banger0'])).stdout;
        const [link] = JSON.parse(out) as {
          addr_info: { local: string; scope: string; tentative?: boolean }[];
        }[];
        linkLocal = link?.addr_info.find((a) => a.scope === 'link' && a.tentative !== true)?.local ?? '';
        if (linkLocal === '') await new Promise((r) => setTimeout(r, 200));
      }
      expect(linkLocal).toMatch(/^fe80:/);
      // Wait until every path works (ports forwarding, the guests' link-local addresses past DAD),
      // so later "unreachable" results mean something.
      for (const path of [
        () => probe(guest1.runner, '172.16.0.1', 8081, 500),
        () => probe(guest1.runner, '172.16.0.3', 8083, 500),
        () => probe(guest1.runner, '172.16.0.4', 8084, 500),
        () => probe(guest1.runner, `${linkLocal}%eth0`, 8082, 500),
      ]) {
        let answer: string | undefined;
        for (let i = 0; i < 40 && answer === undefined; i++) {
          answer = await path();
          if (answer === undefined) await new Promise((r) => setTimeout(r, 250));
        }
        expect(answer).toBeDefined();
      }
    });
    afterAll(async () => {
      await dns?.stop();
      await destroyAllNetns();
    });

    it('lets guests reach the host, each other and DNS while isolation is off', async () => {
      expect(await make(false).start(running)).toEqual({
        removedTaps: [],
        removedRules: [],
        skippedRules: [],
      });
      const r = await reach();
      // Over the link-local address the host sees the guest's own link-local address.
      expect({ ...r, hostLinkLocal: r.hostLinkLocal?.startsWith('fe80:') }).toEqual({
        ...OPEN,
        hostLinkLocal: true,
      });
      expect(await isolateLines()).toEqual([]);
      expect(await isolatedFlags()).toEqual([false, false, false]);
      expect(await bridgeIpv6Off()).toBe('0');
    });

    it('with isolation on, keeps only DNS and the host’s own connections', async () => {
      const net = make(true);
      await net.start(running);
      expect(await reach()).toEqual(ISOLATED);
      expect(await isolateLines()).toEqual([
        '-A INPUT -i banger0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "banger:isolate" -j ACCEPT',
        `-A INPUT -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport ${DNS_PORT} -m comment --comment "banger:isolate" -j ACCEPT`,
        `-A INPUT -d 172.16.0.1/32 -i banger0 -p tcp -m tcp --dport ${DNS_PORT} -m comment --comment "banger:isolate" -j ACCEPT`,
        '-A INPUT -i banger0 -m comment --comment "banger:isolate" -j DROP',
        '-A FORWARD -i banger0 -o banger0 -m comment --comment "banger:isolate" -j DROP',
      ]);
      expect(await isolatedFlags()).toEqual([true, true, true]);
      expect(await bridgeIpv6Off()).toBe('1');
      // NAT to the outside still works for a NAT VM, and only for it.
      const nat = { vmId: ids[0], guestIp: '172.16.0.2', bridge: 'banger0' };
      expect(await probe(guest1.runner, '10.99.0.2', 8085)).toBeUndefined();
      await net.nat.enable(nat);
      expect(await probe(guest1.runner, '10.99.0.2', 8085)).toBe('10.99.0.1');
      expect(await probe(guest2.runner, '10.99.0.2', 8085)).toBeUndefined();
      await net.nat.disable(nat.vmId);
    });

    it('adds nothing on a second start, and puts its rules back on top and in order when disturbed', async () => {
      const before = await isolateLines();
      expect(await make(true).isolateGuests()).toEqual({
        added: 0,
        removed: 0,
        ports: [],
        ipv6Disabled: false,
      });
      expect(await isolateLines()).toEqual(before);

      // Another program inserts an accept-all for the bridge above banger's rules.
      await host.sh('iptables -w -I INPUT -i banger0 -j ACCEPT');
      expect(await probe(guest1.runner, '172.16.0.1', 8081)).toBe('172.16.0.2');
      expect(await make(true).isolateGuests()).toEqual({
        added: 5,
        removed: 5,
        ports: [],
        ipv6Disabled: false,
      });
      expect((await inputChain()).slice(0, 4)).toEqual(before.slice(0, 4));
      expect(await inputChain()).toContain('-A INPUT -i banger0 -j ACCEPT'); // not ours: left in place
      expect(await probe(guest1.runner, '172.16.0.1', 8081)).toBeUndefined();
      await host.sh('iptables -w -D INPUT -i banger0 -j ACCEPT');

      // The drop is gone (someone deleted it): the accepts alone must not stay.
      await host.sh('iptables -w -D INPUT -i banger0 -m comment --comment banger:isolate -j DROP');
      expect(await probe(guest1.runner, '172.16.0.1', 8081)).toBe('172.16.0.2');
      expect(await make(true).isolateGuests()).toEqual({
        added: 5,
        removed: 4,
        ports: [],
        ipv6Disabled: false,
      });
      expect(await isolateLines()).toEqual(before);
      expect(await reach()).toEqual(ISOLATED);
    });

    it('isolates the TAP a starting VM gets', async () => {
      const net = make(true);
      await net.start(running);
      const vm = { vmId: testVmId('isofour'), guestIp: '172.16.0.5', nat: false };
      const { tap } = await net.attach(vm);
      expect(tap).toBe(tapNameForVm(vm.vmId, TAP_UID));
      expect(await isolatedFlags([tap])).toEqual([true]);
      await net.detach(vm.vmId);
      // Without isolation, a starting VM's TAP is an ordinary port.
      const plain = make(false);
      const second = await plain.attach(vm);
      expect(await isolatedFlags([second.tap])).toEqual([false]);
      await plain.detach(vm.vmId);
    });

    it('removes the rules and clears the running VMs’ flags when a daemon starts with it off', async () => {
      await make(false).start(running);
      expect(await isolateLines()).toEqual([]);
      expect(await isolatedFlags()).toEqual([false, false, false]);
      // IPv6 stays off on the bridge (documented): banger uses IPv4 only.
      expect(await bridgeIpv6Off()).toBe('1');
      expect(await reach()).toEqual({ ...OPEN, hostLinkLocal: undefined });
      expect(log.warnings).toEqual([]);
    });
  },
);
