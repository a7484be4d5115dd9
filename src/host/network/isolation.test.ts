import { describe, expect, it } from 'vitest';
import { poolTapName, tapNameForVm } from '../../domain/network.js';
import { type FakeResponse, FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { isAllowed } from './allow-list.js';
import { resolveGrant } from './grant.js';
import { HostNetwork } from './host-network.js';
import {
  applyIsolation,
  convergePortIsolation,
  disableBridgeIpv6,
  ensureIsolationRules,
  ISOLATE_TAG,
  isolationRules,
} from './isolation.js';
import type { NetworkLog } from './log.js';
import { Nat } from './nat.js';
import { PrivilegedRunner } from './privileged.js';
import { reconcileNetwork } from './reconcile.js';

const GRANT = resolveGrant(TEST_GRANT);
const target = { bridge: 'banger0', bridgeIp: '172.16.0.1', port: 42069 };
const iso = { bridge: target.bridge, bridgeIp: target.bridgeIp, dnsPort: target.port };

/** What iptables-save prints for each isolation rule (checked against iptables 1.8.9). */
const SAVED = {
  est: '-A INPUT -i banger0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "banger:isolate" -j ACCEPT',
  udp: '-A INPUT -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 42069 -m comment --comment "banger:isolate" -j ACCEPT',
  tcp: '-A INPUT -d 172.16.0.1/32 -i banger0 -p tcp -m tcp --dport 42069 -m comment --comment "banger:isolate" -j ACCEPT',
  drop: '-A INPUT -i banger0 -m comment --comment "banger:isolate" -j DROP',
  fwd: '-A FORWARD -i banger0 -o banger0 -m comment --comment "banger:isolate" -j DROP',
};
const ALL = [SAVED.est, SAVED.udp, SAVED.tcp, SAVED.drop, SAVED.fwd];

function save(filter: string[]): string {
  return ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ...filter, 'COMMIT', ''].join('\n');
}

function recordingLog(): NetworkLog & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (_obj, msg) => infos.push(msg), warn: (_obj, msg) => warnings.push(msg) };
}

function setup(rules: string[]) {
  const fake = new FakeRunner()
    .on(['/usr/sbin/iptables-save'], { stdout: save(rules) })
    .on(['/usr/sbin/iptables', '-w'], {}); // the changes, asserted through mutations()
  const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
  const log = recordingLog();
  const nat = new Nat({ runner: fake, priv, log });
  const mutations = () => fake.commandLines.filter((l) => l.startsWith('/usr/sbin/iptables '));
  return { fake, priv, nat, log, mutations };
}

/** `-A CHAIN rest` of a saved line as the iptables command that inserts or deletes it. */
const cmd = (op: '-I' | '-D', line: string) =>
  `/usr/sbin/iptables -w -t filter ${op} ${line.slice(3).replaceAll('"banger:isolate"', 'banger:isolate')}`;

const vmTap = tapNameForVm('0123456789abcdef', 1000);
const vmTap2 = tapNameForVm('00000000000000ff', 1000);
const port = (ifname: string, master: string | undefined, isolated?: boolean) => ({
  ifname,
  ...(master ? { master } : {}),
  linkinfo: {
    info_kind: 'tun',
    ...(master ? { info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', isolated } } : {}),
  },
});

describe('guest isolation rules', () => {
  it('plans, in order: replies, DNS udp/tcp to the bridge port, drop; and a bridge-to-bridge forward drop', () => {
    const rules = isolationRules(iso);
    expect(rules.map((r) => `-A ${r.chain} ${r.args.join(' ')}`)).toEqual(
      ALL.map((l) => l.replaceAll('"banger:isolate"', 'banger:isolate')),
    );
    for (const rule of rules) {
      for (const op of ['-I', '-D']) {
        expect(isAllowed(GRANT, 'iptables', ['-w', '-t', 'filter', op, rule.chain, ...rule.args])).toBe(true);
      }
    }
    expect(ISOLATE_TAG).toBe('banger:isolate');
  });

  it('plans no DNS accept when the daemon has no fixed DNS port', () => {
    const rules = isolationRules({ ...iso, dnsPort: 0 });
    expect(rules.map((r) => r.args.at(-1))).toEqual(['ACCEPT', 'DROP', 'DROP']);
    expect(rules.some((r) => r.args.includes('--dport'))).toBe(false);
  });

  it('inserts all rules from the last up when none exist, so they end up in order at the top', async () => {
    const { nat, priv, log, mutations } = setup(['-A INPUT -i eth0 -j ACCEPT']);
    expect(await ensureIsolationRules(nat, priv, iso, log)).toEqual({ added: 5, removed: 0 });
    expect(mutations()).toEqual([...ALL].reverse().map((l) => cmd('-I', l)));
  });

  it('changes nothing when the rules are in order at the top of INPUT (FORWARD may have others first)', async () => {
    const { nat, priv, log, mutations } = setup([
      ...ALL.slice(0, 4),
      '-A INPUT -i eth0 -j ACCEPT',
      '-A FORWARD -s 172.16.0.2/32 -i banger0 ! -o banger0 -m comment --comment "banger:0123456789abcdef" -j ACCEPT',
      SAVED.fwd,
    ]);
    expect(await ensureIsolationRules(nat, priv, iso, log)).toEqual({ added: 0, removed: 0 });
    expect(mutations()).toEqual([]);
  });

  it('re-creates the set when one is missing: accepts deleted first, then inserted from the drop up', async () => {
    const { nat, priv, log, mutations } = setup([SAVED.est, SAVED.udp, SAVED.tcp, SAVED.fwd]);
    expect(await ensureIsolationRules(nat, priv, iso, log)).toEqual({ added: 5, removed: 4 });
    expect(mutations()).toEqual([
      cmd('-D', SAVED.est),
      cmd('-D', SAVED.udp),
      cmd('-D', SAVED.tcp),
      cmd('-D', SAVED.fwd),
      ...[...ALL].reverse().map((l) => cmd('-I', l)),
    ]);
  });

  it('re-creates the set when out of order, duplicated, or below another INPUT rule', async () => {
    for (const rules of [
      [SAVED.drop, SAVED.est, SAVED.udp, SAVED.tcp, SAVED.fwd],
      [...ALL, SAVED.drop],
      ['-A INPUT -i banger0 -j ACCEPT', ...ALL],
    ]) {
      const { nat, priv, log, mutations } = setup(rules);
      const ours = rules.filter((l) => l.includes('banger:isolate'));
      expect(await ensureIsolationRules(nat, priv, iso, log)).toEqual({ added: 5, removed: ours.length });
      const ops = mutations();
      // the drops go last, so there is never a moment with accepts missing and the drop still there, or vice versa for long
      expect(ops.slice(0, ours.length).map((l) => l.split(' ').at(-1))).toEqual(
        ours.map((l) => l.split(' ').at(-1)).sort((a, b) => Number(a === 'DROP') - Number(b === 'DROP')),
      );
      expect(ops.slice(ours.length)).toEqual([...ALL].reverse().map((l) => cmd('-I', l)));
      expect(ops.some((l) => l.includes('-j ACCEPT') && !l.includes('banger:isolate'))).toBe(false);
    }
  });

  it('replaces accepts for an old DNS port', async () => {
    const old = SAVED.udp.replace('42069', '5353');
    const { nat, priv, log, mutations } = setup([SAVED.est, old, SAVED.tcp, SAVED.drop, SAVED.fwd]);
    expect(await ensureIsolationRules(nat, priv, iso, log)).toEqual({ added: 5, removed: 5 });
    expect(mutations()).toContain(cmd('-D', old));
  });

  it('removes every banger-shaped rule when isolation is off, and nothing else', async () => {
    const foreign = [
      '-A INPUT -i banger0 -m comment --comment "banger:isolatex" -j DROP',
      '-A INPUT -i banger0 -j DROP',
      '-A INPUT -i banger0 -m comment --comment "banger:isolate" -j ACCEPT',
      '-A INPUT -i eth0 -m comment --comment "banger:isolate" -j DROP',
    ];
    const { nat, priv, log, mutations } = setup([...foreign, ...ALL]);
    expect(await ensureIsolationRules(nat, priv, undefined, log)).toEqual({ added: 0, removed: 5 });
    expect(mutations()).toEqual(
      [SAVED.est, SAVED.udp, SAVED.tcp, SAVED.drop, SAVED.fwd].map((l) => cmd('-D', l)),
    );
    expect(log.warnings).toEqual([
      'not touching a tagged rule banger does not create',
      'not touching a tagged rule banger does not create',
    ]);
  });

  it('runs nothing but iptables-save when off and there is nothing to remove', async () => {
    const { nat, priv, log, mutations } = setup(['-A INPUT -i banger0 -j ACCEPT']);
    expect(await ensureIsolationRules(nat, priv, undefined, log)).toEqual({ added: 0, removed: 0 });
    expect(mutations()).toEqual([]);
  });

  it('is left alone by the network reconcile, even when any id counts as a VM id', async () => {
    const { fake, priv, log, mutations } = setup(ALL);
    fake.on(['/usr/sbin/ip'], { stdout: '[]' });
    const report = await reconcileNetwork({
      runner: fake,
      priv,
      log,
      isVmId: () => true,
      keepVmIds: new Set(),
      uid: 1000,
    });
    expect(report).toEqual({ removedTaps: [], removedRules: [], skippedRules: [] });
    expect(mutations()).toEqual([]);
  });
});

describe('bridge port isolation', () => {
  const links = [
    port(vmTap, 'banger0', false),
    port(vmTap2, 'banger0', true),
    port(poolTapName(0, 1000), 'banger0', false),
    port(tapNameForVm('0123456789abcdef', 1001), 'banger0', false), // another user's
    port(tapNameForVm('00000000000000aa', 1000), 'docker0', false), // another bridge
    port(tapNameForVm('00000000000000bb', 1000), undefined), // no bridge
    { ifname: 'eth0' },
  ];
  const ipSet = (fake: FakeRunner) => fake.commandLines.filter((l) => l.startsWith('/usr/sbin/ip link set'));

  it('isolates exactly this user’s VM TAPs on the bridge that are not isolated yet', async () => {
    const fake = new FakeRunner()
      .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], { stdout: JSON.stringify(links) })
      .on(['/usr/sbin/ip', 'link', 'set'], {});
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
    expect(await convergePortIsolation(fake, priv, { bridge: 'banger0', uid: 1000, on: true })).toEqual([
      vmTap,
    ]);
    expect(ipSet(fake)).toEqual([`/usr/sbin/ip link set dev ${vmTap} type bridge_slave isolated on`]);
  });

  it('clears the flag of isolated ones when isolation is off', async () => {
    const fake = new FakeRunner()
      .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], { stdout: JSON.stringify(links) })
      .on(['/usr/sbin/ip', 'link', 'set'], {});
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
    expect(await convergePortIsolation(fake, priv, { bridge: 'banger0', uid: 1000, on: false })).toEqual([
      vmTap2,
    ]);
    expect(ipSet(fake)).toEqual([`/usr/sbin/ip link set dev ${vmTap2} type bridge_slave isolated off`]);
  });

  it('says what the host lacks when the kernel or ip cannot isolate a port', async () => {
    const fake = new FakeRunner()
      .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], { stdout: JSON.stringify([port(vmTap, 'banger0')]) })
      .on(['/usr/sbin/ip', 'link', 'set'], { exitCode: 255, stderr: 'bridge: unknown option "isolated"' });
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
    await expect(
      convergePortIsolation(fake, priv, { bridge: 'banger0', uid: 1000, on: true }),
    ).rejects.toMatchObject({
      code: 'host_unsupported',
      message: expect.stringContaining('Linux ≥ 4.18'),
    });
  });
});

describe('IPv6 on the bridge', () => {
  const run = async (current: { exitCode?: number; stdout?: string }) => {
    const fake = new FakeRunner().on(['/usr/sbin/sysctl', '-n'], current).on(['/usr/sbin/sysctl', '-w'], {});
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
    const done = await disableBridgeIpv6(fake, priv, 'banger0');
    return { done, lines: fake.commandLines };
  };

  it('turns it off when it is on', async () => {
    expect(await run({ stdout: '0\n' })).toEqual({
      done: true,
      lines: [
        '/usr/sbin/sysctl -n net.ipv6.conf.banger0.disable_ipv6',
        '/usr/sbin/sysctl -w net.ipv6.conf.banger0.disable_ipv6=1',
      ],
    });
  });

  it('does nothing when it is off already or the host has no IPv6', async () => {
    expect((await run({ stdout: '1\n' })).done).toBe(false);
    const missing = await run({ exitCode: 255, stdout: '' });
    expect(missing.done).toBe(false);
    expect(missing.lines).toHaveLength(1);
  });
});

describe('applyIsolation and HostNetwork', () => {
  /** A host with these rules and links; `failing` is scripted before the changes that succeed. */
  const scripted = (filterRules: string[], linkJson: unknown[], failing?: [string[], FakeResponse]) => {
    const fake = new FakeRunner()
      .on(['/usr/sbin/iptables-save'], { stdout: save(filterRules) })
      .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], { stdout: JSON.stringify(linkJson) })
      .on(['/usr/sbin/sysctl', '-n'], { stdout: '0\n' });
    if (failing) fake.on(...failing);
    return fake
      .on(['/usr/sbin/iptables', '-w'], {})
      .on(['/usr/sbin/ip', 'link'], {})
      .on(['/usr/sbin/ip', 'tuntap'], {})
      .on(['/usr/sbin/sysctl', '-w'], {});
  };

  it('on: rules, port flags and IPv6 off; off: rules removed, flags cleared, IPv6 left alone', async () => {
    const on = scripted([], [port(vmTap, 'banger0', false)]);
    const priv = new PrivilegedRunner(on, { asRoot: true, grant: TEST_GRANT });
    const log = recordingLog();
    const nat = new Nat({ runner: on, priv, log });
    const common = { runner: on, priv, nat, log, target: iso, uid: 1000 };
    expect(await applyIsolation({ ...common, enabled: true })).toEqual({
      added: 5,
      removed: 0,
      ports: [vmTap],
      ipv6Disabled: true,
    });

    const off = scripted(ALL, [port(vmTap, 'banger0', true)]);
    const privOff = new PrivilegedRunner(off, { asRoot: true, grant: TEST_GRANT });
    const natOff = new Nat({ runner: off, priv: privOff, log });
    expect(
      await applyIsolation({ ...common, runner: off, priv: privOff, nat: natOff, enabled: false }),
    ).toEqual({ added: 0, removed: 5, ports: [vmTap], ipv6Disabled: false });
    expect(off.commandLines.some((l) => l.includes('sysctl'))).toBe(false);
  });

  const make = (fake: FakeRunner, guestIsolation: boolean, log = recordingLog()) =>
    new HostNetwork({
      runner: fake,
      log,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => false,
      uid: 1000,
      privileged: { asRoot: true },
      dnsServer: '172.16.0.1:42069',
      guestIsolation,
    });

  it('HostNetwork with isolation on fails (so no VM starts unisolated) when iptables refuses', async () => {
    const fake = scripted([], [], [['/usr/sbin/iptables'], { exitCode: 4, stderr: 'Permission denied' }]);
    await expect(make(fake, true).isolateGuests()).rejects.toMatchObject({
      message: expect.stringContaining('guest_isolation is on but could not be applied'),
    });
  });

  it('HostNetwork with isolation off only logs when it cannot remove leftovers', async () => {
    const fake = scripted(ALL, [], [['/usr/sbin/iptables'], { exitCode: 4, stderr: 'Permission denied' }]);
    const log = recordingLog();
    expect(await make(fake, false, log).isolateGuests()).toBeUndefined();
    expect(log.warnings).toEqual(['could not remove the guest isolation rules']);
  });

  it('HostNetwork.attach isolates the VM’s TAP and re-checks the rules when isolation is on', async () => {
    const fake = scripted(ALL, []);
    const tap = tapNameForVm('0123456789abcdef', 1000);
    await make(fake, true).attach({ vmId: '0123456789abcdef', guestIp: '172.16.0.2', nat: false });
    const lines = fake.commandLines;
    const isolate = lines.indexOf(`/usr/sbin/ip link set dev ${tap} type bridge_slave isolated on`);
    expect(isolate).toBeGreaterThan(lines.indexOf(`/usr/sbin/ip tuntap add dev ${tap} mode tap user 1000`));
    expect(lines.filter((l) => l.startsWith('/usr/sbin/iptables '))).toEqual([]); // rules already in place
  });

  it('HostNetwork.attach releases the TAP when isolating it fails', async () => {
    const tap = tapNameForVm('0123456789abcdef', 1000);
    const fake = scripted(
      ALL,
      [],
      [['/usr/sbin/ip', 'link', 'set', 'dev', tap, 'type'], { exitCode: 2, stderr: 'Error: unknown option' }],
    );
    await expect(
      make(fake, true).attach({ vmId: '0123456789abcdef', guestIp: '172.16.0.2', nat: false }),
    ).rejects.toMatchObject({ code: 'host_unsupported' });
    expect(fake.commandLines).toContain(`/usr/sbin/ip link del dev ${tap}`);
  });

  it('HostNetwork.attach does nothing extra when isolation is off', async () => {
    const fake = scripted([], []);
    await make(fake, false).attach({ vmId: '0123456789abcdef', guestIp: '172.16.0.2', nat: false });
    expect(fake.commandLines.some((l) => l.includes('isolated') || l.includes('banger:isolate'))).toBe(false);
  });
});
