import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { isAllowed } from './allow-list.js';
import { DNS_REDIRECT_TAG, dnsRedirectRules, ensureDnsRedirect } from './dns-redirect.js';
import { resolveGrant } from './grant.js';
import { HostNetwork } from './host-network.js';
import type { NetworkLog } from './log.js';
import { Nat } from './nat.js';
import { PrivilegedRunner } from './privileged.js';
import { reconcileNetwork } from './reconcile.js';

const GRANT = resolveGrant(TEST_GRANT);

const target = { bridge: 'banger0', bridgeIp: '172.16.0.1', port: 42069 };

/** What iptables-save prints for the redirect at `port` (checked against iptables 1.8.9). */
const saved = (proto: 'udp' | 'tcp', port = 42069, tag = '"banger:dns"') =>
  `-A PREROUTING -d 172.16.0.1/32 -i banger0 -p ${proto} -m ${proto} --dport 53 -m comment --comment ${tag} -j REDIRECT --to-ports ${port}`;

function save(prerouting: string[]): string {
  return ['*nat', ':PREROUTING ACCEPT [0:0]', ...prerouting, 'COMMIT', ''].join('\n');
}

function recordingLog(): NetworkLog & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (_obj, msg) => warnings.push(msg) };
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

const insert = (proto: string, port = 42069) =>
  `/usr/sbin/iptables -w -t nat -I PREROUTING -d 172.16.0.1/32 -i banger0 -p ${proto} -m ${proto} --dport 53 -m comment --comment banger:dns -j REDIRECT --to-ports ${port}`;
const remove = (proto: string, port: number) =>
  `/usr/sbin/iptables -w -t nat -D PREROUTING -d 172.16.0.1/32 -i banger0 -p ${proto} -m ${proto} --dport 53 -m comment --comment banger:dns -j REDIRECT --to-ports ${port}`;

describe('the guests’ DNS redirect', () => {
  it('plans a udp and a tcp rule that the allow-list accepts', () => {
    const rules = dnsRedirectRules(target);
    expect(rules.map((r) => r.args[5])).toEqual(['udp', 'tcp']);
    for (const rule of rules) {
      expect(
        isAllowed(GRANT, 'iptables', ['-w', '-t', rule.table, rule.addOp, rule.chain, ...rule.args]),
      ).toBe(true);
      expect(isAllowed(GRANT, 'iptables', ['-w', '-t', rule.table, '-D', rule.chain, ...rule.args])).toBe(
        true,
      );
    }
  });

  it('refuses look-alike redirects: another tag, port or jump', () => {
    const [udp] = dnsRedirectRules(target);
    const args = ['-w', '-t', 'nat', '-I', 'PREROUTING', ...(udp?.args ?? [])];
    const swap = (from: string, to: string) => args.map((a) => (a === from ? to : a));
    expect(isAllowed(GRANT, 'iptables', swap('banger:dns', 'banger:abc'))).toBe(false);
    expect(isAllowed(GRANT, 'iptables', swap('53', '22'))).toBe(false);
    expect(isAllowed(GRANT, 'iptables', swap('REDIRECT', 'DNAT'))).toBe(false);
    expect(isAllowed(GRANT, 'iptables', swap('42069', '0'))).toBe(false);
    expect(isAllowed(GRANT, 'iptables', swap('42069', '65536'))).toBe(false);
    expect(isAllowed(GRANT, 'iptables', swap('-I', '-A'))).toBe(false);
  });

  it('inserts both rules when none exist', async () => {
    const { nat, priv, log, mutations } = setup([]);
    expect(await ensureDnsRedirect(nat, priv, target, log)).toEqual({ added: 2, removed: 0 });
    expect(mutations()).toEqual([insert('udp'), insert('tcp')]);
  });

  it('changes nothing when both are present', async () => {
    const { nat, priv, log, mutations } = setup([saved('tcp'), saved('udp')]);
    expect(await ensureDnsRedirect(nat, priv, target, log)).toEqual({ added: 0, removed: 0 });
    expect(mutations()).toEqual([]);
  });

  it('replaces rules for an old port and adds a missing one', async () => {
    const { nat, priv, log, mutations } = setup([saved('udp', 5353), saved('tcp')]);
    expect(await ensureDnsRedirect(nat, priv, target, log)).toEqual({ added: 1, removed: 1 });
    expect(mutations()).toEqual([remove('udp', 5353), insert('udp')]);
  });

  it('never touches rules without the exact tag, nor tagged rules of another shape', async () => {
    const foreign = [
      saved('udp', 5353, '"banger:dnsx"'),
      saved('udp', 5353, '"someone:dns"'),
      '-A PREROUTING -d 172.16.0.1/32 -i banger0 -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353',
      '-A PREROUTING -i banger0 -p udp -m udp --dport 53 -m comment --comment "banger:dns" -j ACCEPT',
    ];
    const { nat, priv, log, mutations } = setup(foreign);
    expect(await ensureDnsRedirect(nat, priv, target, log)).toEqual({ added: 2, removed: 0 });
    expect(mutations()).toEqual([insert('udp'), insert('tcp')]);
    expect(log.warnings).toEqual(['not deleting a tagged rule banger does not create']);
  });

  it('is left alone by the network reconcile, even when any id counts as a VM id', async () => {
    const { fake, priv, log, mutations } = setup([saved('udp'), saved('tcp')]);
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

  it('HostNetwork logs instead of throwing when iptables refuses', async () => {
    const fake = new FakeRunner()
      .on(['/usr/sbin/iptables-save'], { stdout: save([]) })
      .on(['/usr/sbin/iptables'], { exitCode: 4, stderr: 'iptables: Permission denied' });
    const log = recordingLog();
    const net = new HostNetwork({
      runner: fake,
      log,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => false,
      privileged: { asRoot: true },
      dnsServer: '172.16.0.1:42069',
    });
    expect(await net.redirectGuestDns()).toBeUndefined();
    expect(log.warnings).toEqual(["could not redirect guests' port-53 DNS to bangerd"]);
  });

  it('HostNetwork without a DNS server runs nothing', async () => {
    const fake = new FakeRunner();
    const net = new HostNetwork({
      runner: fake,
      log: recordingLog(),
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => false,
      privileged: { asRoot: true },
    });
    expect(await net.redirectGuestDns()).toBeUndefined();
    expect(fake.calls).toEqual([]);
    expect(DNS_REDIRECT_TAG).toBe('banger:dns');
  });

  it('HostNetwork with DNS port 0 (bound to any free port later) redirects nothing', async () => {
    const fake = new FakeRunner();
    const log = recordingLog();
    const net = new HostNetwork({
      runner: fake,
      log,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => false,
      privileged: { asRoot: true },
      dnsServer: '172.16.0.1:0',
    });
    expect(await net.redirectGuestDns()).toBeUndefined();
    expect(fake.calls).toEqual([]);
    expect(log.warnings).toEqual([]);
  });
});
