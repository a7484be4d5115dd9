import { describe, expect, it } from 'vitest';
import { poolTapName, tapNameForVm } from '../../domain/network.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { allowedShapes, isAllowed } from './allow-list.js';
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
      allowedShapes().flatMap((s) => s.args.filter((a) => typeof a !== 'string').map((a) => a.kind)),
    );
    expect([...kinds].sort()).toEqual(
      [
        'anyHost32',
        'anyIfaddr',
        'anyPort',
        'bridge',
        'bridge32',
        'bridgeAddr',
        'bridgeIpv6Off',
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

  describe('guest isolation', () => {
    const filter = (op: string, chain: string, ...rule: string[]) => [
      '-w',
      '-t',
      'filter',
      op,
      chain,
      ...rule,
    ];
    const iso = ['-m', 'comment', '--comment', 'banger:isolate'];
    const established = [
      '-i',
      'banger0',
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      ...iso,
      '-j',
      'ACCEPT',
    ];
    const dns = (proto: string, dst = '172.16.0.1/32', port = '42069', bridge = 'banger0') => [
      '-d',
      dst,
      '-i',
      bridge,
      '-p',
      proto,
      '-m',
      proto,
      '--dport',
      port,
      ...iso,
      '-j',
      'ACCEPT',
    ];
    const drop = ['-i', 'banger0', ...iso, '-j', 'DROP'];
    const fwdDrop = ['-i', 'banger0', '-o', 'banger0', ...iso, '-j', 'DROP'];
    const isolated = (dev: string, value = 'on') => [
      'link',
      'set',
      'dev',
      dev,
      'type',
      'bridge_slave',
      'isolated',
      value,
    ];
    const swap = (args: string[], from: string, to: string) => args.map((a) => (a === from ? to : a));

    it('accepts exactly the isolation rules, port flags and IPv6 switch of the grant', () => {
      const ok: [string, string[]][] = [];
      for (const op of ['-I', '-D']) {
        ok.push(
          ['iptables', filter(op, 'INPUT', ...established)],
          ['iptables', filter(op, 'INPUT', ...dns('udp'))],
          ['iptables', filter(op, 'INPUT', ...dns('tcp'))],
          ['iptables', filter(op, 'INPUT', ...drop)],
          ['iptables', filter(op, 'FORWARD', ...fwdDrop)],
        );
      }
      // a stale accept (old bridge address or DNS port) on the granted bridge may go
      ok.push(['iptables', filter('-D', 'INPUT', ...dns('udp', '10.0.0.1/32', '5353'))]);
      ok.push(['ip', isolated(vmTap)], ['ip', isolated(vmTap, 'off')]);
      ok.push(['sysctl', ['-w', 'net.ipv6.conf.banger0.disable_ipv6=1']]);
      for (const [tool, args] of ok) expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(true);
    });

    it('refuses other interfaces, tags, ports, tables, chains, targets and devices', () => {
      const refused: [string, string[]][] = [
        // ACCEPT for everything from the bridge, or for everything at all
        ['iptables', filter('-I', 'INPUT', ...swap(drop, 'DROP', 'ACCEPT'))],
        ['iptables', filter('-I', 'INPUT', ...iso, '-j', 'ACCEPT')],
        ['iptables', filter('-I', 'INPUT', '-i', 'banger0', '-j', 'ACCEPT')],
        ['iptables', filter('-I', 'FORWARD', ...swap(fwdDrop, 'DROP', 'ACCEPT'))],
        ['iptables', filter('-I', 'INPUT', ...swap(established, 'RELATED,ESTABLISHED', 'NEW'))],
        [
          'iptables',
          filter('-I', 'INPUT', ...swap(established, 'RELATED,ESTABLISHED', 'NEW,RELATED,ESTABLISHED')),
        ],
        // another interface
        ['iptables', filter('-I', 'INPUT', ...swap(established, 'banger0', 'eth0'))],
        ['iptables', filter('-I', 'INPUT', ...swap(drop, 'banger0', 'eth0'))],
        ['iptables', filter('-D', 'INPUT', ...swap(drop, 'banger0', 'eth0'))],
        ['iptables', filter('-I', 'INPUT', ...swap(drop, 'banger0', 'lo'))],
        ['iptables', filter('-I', 'FORWARD', ...fwdDrop.map((a, i) => (i === 3 ? 'eth0' : a)))],
        ['iptables', filter('-I', 'INPUT', ...dns('udp', '172.16.0.1/32', '42069', 'eth0'))],
        ['iptables', filter('-D', 'INPUT', ...dns('udp', '10.0.0.1/32', '5353', 'eth0'))],
        // another port or address
        ['iptables', filter('-I', 'INPUT', ...dns('tcp', '172.16.0.1/32', '22'))],
        ['iptables', filter('-I', 'INPUT', ...dns('udp', '172.16.0.1/32', '53'))],
        ['iptables', filter('-I', 'INPUT', ...dns('udp', '10.0.0.1/32'))],
        ['iptables', filter('-I', 'INPUT', ...dns('udp', '0.0.0.0/0'))],
        ['iptables', filter('-D', 'INPUT', ...dns('udp', '10.0.0.1/32', '0'))],
        ['iptables', filter('-I', 'INPUT', ...swap(dns('udp'), 'udp', 'icmp'))],
        // another tag (a VM's, the DNS redirect's, a prefix, text with a line break)
        ['iptables', filter('-I', 'INPUT', ...swap(drop, 'banger:isolate', tag))],
        ['iptables', filter('-I', 'INPUT', ...swap(established, 'banger:isolate', 'banger:dns'))],
        ['iptables', filter('-I', 'INPUT', ...swap(drop, 'banger:isolate', 'banger:isolatex'))],
        [
          'iptables',
          filter('-I', 'INPUT', ...swap(drop, 'banger:isolate', 'banger:isolate\nALL ALL=(ALL) ALL')),
        ],
        // another table, chain or operation
        ['iptables', ['-w', '-t', 'nat', '-I', 'INPUT', ...drop]],
        ['iptables', ['-w', '-t', 'raw', '-I', 'PREROUTING', ...drop]],
        ['iptables', filter('-I', 'OUTPUT', ...drop)],
        ['iptables', filter('-I', 'FORWARD', ...drop)],
        ['iptables', filter('-I', 'INPUT', ...fwdDrop)],
        ['iptables', filter('-A', 'INPUT', ...drop)],
        ['iptables', filter('-R', 'INPUT', ...drop)],
        ['iptables', filter('-F', 'INPUT')],
        ['iptables', ['-w', '-t', 'filter', '-I', 'INPUT', '1', ...drop]],
        ['iptables', ['-t', 'filter', '-I', 'INPUT', ...drop]],
        ['iptables', [...filter('-I', 'INPUT', ...drop), '--log-prefix', 'x']],
        // port isolation: only this user's VM TAPs, only on/off
        ['ip', isolated('eth0')],
        ['ip', isolated('banger0')],
        ['ip', isolated(pool)],
        ['ip', isolated(tapNameForVm(id, 1001))],
        ['ip', isolated(vmTap, 'yes')],
        ['ip', ['link', 'set', 'dev', vmTap, 'type', 'bridge_slave', 'learning', 'off']],
        ['ip', ['link', 'set', 'dev', vmTap, 'type', 'bridge_slave', 'isolated', 'on', 'state', '3']],
        ['ip', ['link', 'set', 'dev', 'banger0', 'type', 'bridge', 'stp_state', '1']],
        // IPv6: only off, only on the bridge
        ['sysctl', ['-w', 'net.ipv6.conf.banger0.disable_ipv6=0']],
        ['sysctl', ['-w', 'net.ipv6.conf.eth0.disable_ipv6=1']],
        ['sysctl', ['-w', 'net.ipv6.conf.all.disable_ipv6=1']],
        ['sysctl', ['-w', 'net.ipv6.conf.default.disable_ipv6=1']],
        ['sysctl', ['-w', 'net.ipv6.conf.banger0.forwarding=1']],
        ['sysctl', ['-w', 'net/ipv6/conf/banger0/disable_ipv6=1']],
        ['sysctl', ['net.ipv6.conf.banger0.disable_ipv6=1']],
        ['sysctl', ['-p', '-w', 'net.ipv6.conf.banger0.disable_ipv6=1']],
      ];
      for (const [tool, args] of refused)
        expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(false);
    });

    it('follows the grant: another bridge, no DNS port, a bridge name with a dot', () => {
      const other = resolveGrant({
        ...TEST_GRANT,
        bridgeName: 'br1',
        bridgeIp: '10.5.0.1',
        cidr: '10.5.0.0/24',
      });
      expect(isAllowed(other, 'iptables', filter('-I', 'INPUT', ...drop))).toBe(false);
      expect(isAllowed(other, 'iptables', filter('-I', 'INPUT', ...dns('udp')))).toBe(false);
      expect(isAllowed(other, 'sysctl', ['-w', 'net.ipv6.conf.banger0.disable_ipv6=1'])).toBe(false);
      expect(isAllowed(other, 'sysctl', ['-w', 'net.ipv6.conf.br1.disable_ipv6=1'])).toBe(true);
      expect(
        isAllowed(other, 'iptables', filter('-I', 'INPUT', ...dns('udp', '10.5.0.1/32', '42069', 'br1'))),
      ).toBe(true);
      const noDns = resolveGrant({ ...TEST_GRANT, dnsPort: 0 });
      expect(isAllowed(noDns, 'iptables', filter('-I', 'INPUT', ...dns('udp', '172.16.0.1/32', '0')))).toBe(
        false,
      );
      expect(isAllowed(noDns, 'iptables', filter('-I', 'INPUT', ...drop))).toBe(true);
      // "a.b" is a valid interface name, but sysctl reads the dot as a separator: never let it name another key
      const dotted = resolveGrant({ ...TEST_GRANT, bridgeName: 'all.b' });
      expect(isAllowed(dotted, 'sysctl', ['-w', 'net.ipv6.conf.all.b.disable_ipv6=1'])).toBe(false);
    });
  });
});

describe('every shape and placeholder at its edges', () => {
  const nat = (op: string, chain: string, ...rule: string[]) => ['-w', '-t', 'nat', op, chain, ...rule];
  const fwdIn = [
    '-d',
    '172.16.0.2/32',
    '!',
    '-i',
    'banger0',
    '-o',
    'banger0',
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '-m',
    'comment',
    '--comment',
    tag,
    '-j',
    'ACCEPT',
  ];
  const tcpRedirect = (op: string, dst: string, port: string) =>
    redirect('0', 'banger0', port).map((a, i) => (i === 3 ? op : i === 6 ? dst : a === 'udp' ? 'tcp' : a));
  const addrDel = (addr: string) => ['addr', 'del', addr, 'dev', 'banger0'];
  const masqFrom = (addr: string) => nat('-A', 'POSTROUTING', '-s', addr, ...masq.slice(2));

  it('accepts one command of every shape', () => {
    const ok: [string, string[]][] = [
      ['ip', addrDel('10.0.0.1/8')],
      ['ip', addrDel('172.16.0.1/32')],
      ['ip', addrDel('0.0.0.0/0')],
      ['ip', ['link', 'set', 'dev', 'banger0', 'alias', 'banger-bridge', 'up']],
      ['ip', ['link', 'set', 'dev', 'banger0', 'up']],
      ['ip', ['link', 'del', 'dev', 'banger0']],
      ['ip', ['link', 'del', 'dev', pool]],
      ['ip', ['tuntap', 'add', 'dev', vmTap, 'mode', 'tap', 'user', '1000']],
      ['iptables', fwd('-D', ...fwdOut)],
      ['iptables', fwd('-I', ...fwdIn)],
      ['iptables', fwd('-D', ...fwdIn)],
      ['iptables', tcpRedirect('-I', '172.16.0.1/32', '42069')],
      ['iptables', tcpRedirect('-D', '10.1.2.3/32', '65535')],
      ['iptables', redirect('10.0.0.1', 'banger0', '1').map((a) => (a === '-I' ? '-D' : a))],
      ['iptables', masqFrom('172.16.0.254/32')],
      ['resolvectl', ['default-route', 'banger0', 'false']],
      ...['dnssec', 'dnsovertls', 'llmnr', 'mdns'].map((k): [string, string[]] => [
        'resolvectl',
        [k, 'banger0', 'no'],
      ]),
    ];
    for (const [tool, args] of ok) expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(true);
  });

  it('refuses each placeholder just past its edge', () => {
    const refused: [string, string[]][] = [
      // addresses being removed must be addresses with a prefix of 0-32
      ['ip', addrDel('10.0.0.1/33')],
      ['ip', addrDel('10.0.0.1/100')],
      ['ip', addrDel('10.0.0.1')],
      ['ip', addrDel('10.0.0/24')],
      ['ip', addrDel('256.0.0.1/24')],
      ['ip', addrDel('10.0.0.1/24 ')],
      ['ip', addrDel('x10.0.0.1/24')],
      ['ip', addrDel('10.0.0.1/')],
      // the bridge's own address, MAC and uid exactly
      ['ip', ['addr', 'add', '172.16.0.1/23', 'dev', 'banger0']],
      ['ip', ['addr', 'add', '172.16.0.2/24', 'dev', 'banger0']],
      ['ip', ['link', 'add', 'banger0', 'address', '06:00:ac:10:00:02', 'type', 'bridge']],
      ['ip', ['tuntap', 'add', 'dev', pool, 'mode', 'tap', 'user', '01000']],
      ['ip', ['tuntap', 'add', 'dev', pool, 'mode', 'tap', 'user', '1000 ']],
      ['ip', ['link', 'set', 'dev', 'banger0', 'alias', 'banger-pool', 'up']],
      // pool TAPs and VM TAPs are not interchangeable where the shape names one
      ['ip', ['link', 'set', 'dev', vmTap, 'master', 'banger0', 'alias', 'banger-pool']],
      ['ip', ['link', 'set', 'dev', pool, 'master', 'banger0', 'alias', tag, 'up']],
      ['ip', ['link', 'set', 'dev', vmTap, 'name', pool, 'alias', tag, 'up']],
      ['ip', ['link', 'set', 'dev', pool, 'name', pool, 'alias', tag, 'up']],
      ['ip', ['link', 'del', 'dev', 'banger1']],
      // guest addresses: in the subnet, not the network, gateway or broadcast, exactly /32
      ['iptables', masqFrom('172.16.0.0/32')],
      ['iptables', masqFrom('172.16.1.2/32')],
      ['iptables', masqFrom('172.16.0.2/31')],
      ['iptables', masqFrom('172.16.0.2')],
      ['iptables', masqFrom('172.16.0.2/32/32')],
      // stale rules: any /32 address, any port 1-65535, written without leading zeros
      ['iptables', tcpRedirect('-D', '10.1.2.3/31', '53')],
      ['iptables', tcpRedirect('-D', '10.1.2/32', '53')],
      ['iptables', tcpRedirect('-D', '10.1.2.3/32', '65536')],
      ['iptables', tcpRedirect('-D', '10.1.2.3/32', '053')],
      ['iptables', tcpRedirect('-D', '10.1.2.3/32', '100000')],
      ['iptables', tcpRedirect('-D', '10.1.2.3/32', '-1')],
      ['iptables', tcpRedirect('-I', '172.16.0.1/32', '42068')],
      ['iptables', tcpRedirect('-I', '172.16.0.2/32', '42069')],
      // VM tags: exactly "banger:" and a VM id
      ['iptables', nat('-A', 'POSTROUTING', ...masq.map((a) => (a === tag ? `x${tag}` : a)))],
      ['iptables', nat('-A', 'POSTROUTING', ...masq.map((a) => (a === tag ? `banger:${id}0` : a)))],
      ['iptables', nat('-A', 'POSTROUTING', ...masq.map((a) => (a === tag ? `Banger:${id}` : a)))],
      ['iptables', nat('-A', 'POSTROUTING', ...masq.map((a) => (a === tag ? id : a)))],
      // resolved: only the granted server, only "no" for the per-link protocols
      ['resolvectl', ['dns', 'banger0', '172.16.0.1:42068']],
      ['resolvectl', ['dns', 'banger0', '172.16.0.1']],
      ['resolvectl', ['default-route', 'banger0', 'true']],
      ['resolvectl', ['llmnr', 'banger0', 'yes']],
      ['resolvectl', ['dns-over-tls', 'banger0', 'no']],
      ['resolvectl', ['domain', 'banger0', '~.']],
      // the tool must be the one the shape names
      ['ip', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq]],
      ['iptables-save', ['link', 'del', 'dev', vmTap]],
      ['iptables', []],
      ['ip', ['link', 'del', 'dev']],
    ];
    for (const [tool, args] of refused)
      expect(isAllowed(g, tool, args), `${tool} ${args.join(' ')}`).toBe(false);
  });

  it('follows the granted uid, subnet and DNS port', () => {
    const other = resolveGrant({
      ...TEST_GRANT,
      uid: 1001,
      bridgeIp: '10.8.0.9',
      cidr: '10.8.0.0/16',
      dnsPort: 53,
    });
    const theirTap = tapNameForVm(id, 1001);
    expect(isAllowed(other, 'ip', ['tuntap', 'add', 'dev', theirTap, 'mode', 'tap', 'user', '1001'])).toBe(
      true,
    );
    expect(isAllowed(other, 'ip', ['tuntap', 'add', 'dev', vmTap, 'mode', 'tap', 'user', '1001'])).toBe(
      false,
    );
    expect(isAllowed(other, 'ip', ['tuntap', 'add', 'dev', theirTap, 'mode', 'tap', 'user', '1000'])).toBe(
      false,
    );
    expect(isAllowed(other, 'ip', ['addr', 'add', '10.8.0.9/16', 'dev', 'banger0'])).toBe(true);
    expect(isAllowed(other, 'iptables', masqFrom('10.8.200.1/32'))).toBe(true);
    expect(isAllowed(other, 'iptables', masqFrom('10.8.0.9/32'))).toBe(false);
    expect(isAllowed(other, 'iptables', masqFrom('10.8.255.255/32'))).toBe(false);
    expect(isAllowed(other, 'resolvectl', ['dns', 'banger0', '10.8.0.9:53'])).toBe(true);
    expect(isAllowed(other, 'iptables', redirect('10.8.0.9', 'banger0', '53'))).toBe(true);
    expect(
      isAllowed(other, 'ip', ['link', 'add', 'banger0', 'address', '06:00:0a:08:00:09', 'type', 'bridge']),
    ).toBe(true);
  });
});
