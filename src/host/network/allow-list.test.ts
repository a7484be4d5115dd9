import { describe, expect, it } from 'vitest';
import { poolTapName, tapNameForVm } from '../../domain/network.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { ALLOWED_SHAPES, isAllowed } from './allow-list.js';
import { resolveGrant } from './grant.js';

const g = resolveGrant(TEST_GRANT);
const id = '0123456789abcdef';
const tag = `banger:${id}`;
const vmTap = tapNameForVm(id, 1000);
const pool = poolTapName(0, 1000);
const masq = [
  '-s',
  '172.16.0.2/32',
  '!',
  '-o',
  'banger0',
  '-m',
  'comment',
  '--comment',
  tag,
  '-j',
  'MASQUERADE',
];
const fwd = (op: string, ...rule: string[]) => ['-w', '-t', 'filter', op, 'FORWARD', ...rule];
const fwdOut = [
  '-s',
  '172.16.0.2/32',
  '-i',
  'banger0',
  '!',
  '-o',
  'banger0',
  '-m',
  'comment',
  '--comment',
  tag,
  '-j',
  'ACCEPT',
];
const redirect = (bridgeIp: string, bridge: string, port: string) => [
  '-w',
  '-t',
  'nat',
  '-I',
  'PREROUTING',
  '-d',
  `${bridgeIp}/32`,
  '-i',
  bridge,
  '-p',
  'udp',
  '-m',
  'udp',
  '--dport',
  '53',
  '-m',
  'comment',
  '--comment',
  'banger:dns',
  '-j',
  'REDIRECT',
  '--to-ports',
  port,
];

describe('allow-list under a grant', () => {
  it('accepts the commands banger runs for its own resources', () => {
    const ok: [string, string[]][] = [
      ['ip', ['link', 'add', 'banger0', 'address', '06:00:ac:10:00:01', 'type', 'bridge']],
      ['ip', ['addr', 'add', '172.16.0.1/24', 'dev', 'banger0']],
      ['ip', ['tuntap', 'add', 'dev', pool, 'mode', 'tap', 'user', '1000']],
      ['ip', ['link', 'set', 'dev', pool, 'master', 'banger0', 'alias', 'banger-pool']],
      ['ip', ['link', 'set', 'dev', pool, 'name', vmTap, 'alias', tag, 'up']],
      ['ip', ['link', 'set', 'dev', vmTap, 'master', 'banger0', 'alias', tag, 'up']],
      ['ip', ['link', 'del', 'dev', vmTap]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq]],
      ['iptables', ['-w', '-t', 'nat', '-D', 'POSTROUTING', ...masq]],
      ['iptables', fwd('-I', ...fwdOut)],
      ['iptables', redirect('172.16.0.1', 'banger0', '42069')],
      // a stale redirect on the granted bridge may go
      ['iptables', redirect('10.0.0.1', 'banger0', '5353').map((a) => (a === '-I' ? '-D' : a))],
      ['iptables-save', []],
      ['sysctl', ['-w', 'net.ipv4.ip_forward=1']],
      ['resolvectl', ['dns', 'banger0', '172.16.0.1:42069']],
      ['resolvectl', ['domain', 'banger0', '~vm']],
    ];
    for (const [tool, args] of ok) expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(true);
  });

  it('refuses every other command, interface, subnet, tag, port or owner', () => {
    const otherTap = tapNameForVm(id, 1001);
    const injected = `banger:${id}\nbangertest ALL=(ALL) NOPASSWD: ALL\n#`;
    const refused: [string, string[]][] = [
      ['ip', ['link', 'set', 'dev', 'eth0', 'down']],
      ['ip', ['link', 'set', 'dev', 'eth0', 'up']],
      ['ip', ['link', 'del', 'dev', 'eth0']],
      ['ip', ['link', 'del', 'dev', otherTap]],
      ['ip', ['link', 'del', 'dev', poolTapName(0, 1001)]],
      ['ip', ['addr', 'del', '10.0.0.1/24', 'dev', 'eth0']],
      ['ip', ['addr', 'add', '10.0.0.1/24', 'dev', 'banger0']],
      ['ip', ['link', 'add', 'docker0', 'address', '06:00:ac:10:00:01', 'type', 'bridge']],
      ['ip', ['tuntap', 'add', 'dev', pool, 'mode', 'tap', 'user', '0']],
      ['ip', ['tuntap', 'add', 'dev', otherTap, 'mode', 'tap', 'user', '1000']],
      ['ip', ['link', 'set', 'dev', pool, 'master', 'banger0', 'alias', 'anything']],
      ['ip', ['link', 'set', 'dev', 'eth0', 'master', 'banger0', 'alias', tag, 'up']],
      ['ip', ['-batch', '/etc/shadow']],
      ['ip', ['route', 'add', 'default', 'via', '1.2.3.4']],
      ['iptables', ['-F']],
      ['iptables', ['-P', 'INPUT', 'ACCEPT']],
      ['iptables', ['-w', '-t', 'nat', '-F', 'POSTROUTING', ...masq]],
      ['iptables', ['-w', '-t', 'nat', '-I', 'POSTROUTING', ...masq]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.0.0.2/32', ...masq.slice(2)]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.16.0.0/24', ...masq.slice(2)]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.16.0.1/32', ...masq.slice(2)]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.16.0.255/32', ...masq.slice(2)]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 4), 'eth0', ...masq.slice(5)]],
      [
        'iptables',
        ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 8), injected, '-j', 'MASQUERADE'],
      ],
      [
        'iptables',
        ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 8), 'banger:dns', '-j', 'MASQUERADE'],
      ],
      [
        'iptables',
        ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 8), 'banger:', '-j', 'MASQUERADE'],
      ],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq, 'extra']],
      ['iptables', fwd('-I', ...fwdOut.slice(0, 3), 'eth0', ...fwdOut.slice(4))],
      ['iptables', redirect('172.16.0.1', 'banger0', '22')],
      ['iptables', redirect('172.16.0.1', 'eth0', '42069')],
      ['iptables', redirect('10.0.0.1', 'banger0', '42069')],
      ['iptables', redirect('172.16.0.1', 'banger0', '42069').map((a) => (a === '-I' ? '-A' : a))],
      ['iptables', redirect('10.0.0.1', 'eth0', '5353').map((a) => (a === '-I' ? '-D' : a))],
      ['iptables', redirect('10.0.0.1', 'banger0', '0').map((a) => (a === '-I' ? '-D' : a))],
      ['iptables-save', ['-f', '/etc/sudoers.d/x']],
      ['iptables-save', ['-c']],
      ['sysctl', ['-w', 'net.ipv4.ip_forward=0']],
      ['sysctl', ['-w', 'kernel.modprobe=/tmp/x']],
      ['resolvectl', ['dns', 'eth0', '1.2.3.4']],
      ['resolvectl', ['dns', 'banger0', '1.2.3.4:53']],
      ['resolvectl', ['domain', 'eth0', '~.']],
      ['sh', ['-c', 'id']],
      ['/usr/sbin/ip', ['link', 'del', 'dev', vmTap]],
    ];
    for (const [tool, args] of refused)
      expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(false);
  });

  it('grants no DNS commands when the daemon has no fixed DNS port', () => {
    const noDns = resolveGrant({ ...TEST_GRANT, dnsPort: 0 });
    expect(isAllowed(noDns, 'iptables', redirect('172.16.0.1', 'banger0', '0'))).toBe(false);
    expect(isAllowed(noDns, 'resolvectl', ['dns', 'banger0', '172.16.0.1:0'])).toBe(false);
  });

  it('has no placeholder that accepts free text', () => {
    const kinds = new Set(
      ALLOWED_SHAPES.flatMap((s) => s.args.filter((a) => typeof a !== 'string').map((a) => a.kind)),
    );
    expect([...kinds].sort()).toEqual(
      [
        'anyHost32',
        'anyIfaddr',
        'anyPort',
        'bridge',
        'bridge32',
        'bridgeAddr',
        'bridgeMac',
        'dnsPort',
        'dnsServer',
        'guest32',
        'oneOf',
        'ownTap',
        'poolTap',
        'uid',
        'vmTap',
        'vmTag',
      ].sort(),
    );
  });
});
