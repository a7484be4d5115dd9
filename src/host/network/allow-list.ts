import {
  BRIDGE_ALIAS,
  isTaggableId,
  isValidIfname,
  POOL_TAP_ALIAS,
  tryParseIpv4,
} from '../../domain/network.js';

/**
 * The complete list of privileged commands banger runs, as argument shapes.
 * A command runs only when its tool and every argument match one shape
 * exactly (same length, literals equal, placeholders valid). Keep this list
 * short: each entry is a sudoers line the user is asked to trust.
 */

export type PrivilegedTool = 'ip' | 'iptables' | 'iptables-save' | 'sysctl' | 'resolvectl';

/**
 * What a command is for; doctor checks and reports privileges per group.
 * `dns` (resolvectl) is only needed on systemd-resolved hosts.
 */
export type PrivilegeGroup = 'bridge' | 'tap' | 'iptables' | 'sysctl' | 'dns';

export const PRIVILEGE_GROUPS: readonly PrivilegeGroup[] = ['bridge', 'tap', 'iptables', 'sysctl', 'dns'];

/** A placeholder stands for one argument of a checked form. */
export type Placeholder =
  | { kind: 'ifname' }
  | { kind: 'uid' }
  | { kind: 'mac' }
  /** "a.b.c.d/32": one guest address. */
  | { kind: 'host32' }
  /** "a.b.c.d/p": an interface address with its prefix. */
  | { kind: 'ifaddr' }
  /** "banger:<vm id>". */
  | { kind: 'tag' }
  /** An interface alias: a VM tag, "banger-pool" or "banger-bridge". */
  | { kind: 'alias' }
  /** "a.b.c.d:port": a DNS server as `resolvectl dns` takes it. */
  | { kind: 'dnsServer' }
  /** A TCP/UDP port, 1-65535. */
  | { kind: 'port' }
  /** One of the given literals. */
  | { kind: 'oneOf'; values: readonly string[] };

export type ArgPattern = string | Placeholder;

export interface CommandShape {
  readonly group: PrivilegeGroup;
  readonly tool: PrivilegedTool;
  readonly args: readonly ArgPattern[];
}

const ifname: Placeholder = { kind: 'ifname' };
const host32: Placeholder = { kind: 'host32' };
const tag: Placeholder = { kind: 'tag' };
const comment = ['-m', 'comment', '--comment', tag] as const;

const alias: Placeholder = { kind: 'alias' };

function ip(group: PrivilegeGroup, ...args: ArgPattern[]): CommandShape {
  return { group, tool: 'ip', args };
}

/** Per-link settings that route `*.vm` to the daemon (docs/dns-routing.md). */
function resolvectl(...args: ArgPattern[]): CommandShape {
  return { group: 'dns', tool: 'resolvectl', args };
}

/** iptables with `-w` (wait for the xtables lock) and an explicit table. */
function iptables(
  table: 'nat' | 'filter',
  op: readonly string[],
  chain: string,
  rule: ArgPattern[],
): CommandShape {
  return {
    group: 'iptables',
    tool: 'iptables',
    args: ['-w', '-t', table, { kind: 'oneOf', values: op }, chain, ...rule],
  };
}

/**
 * The guests' DNS redirect (dns-redirect.ts): port 53 on the bridge address
 * to bangerd's listener there. One fixed tag, `banger:dns`, never a VM's.
 */
function dnsRedirect(proto: 'udp' | 'tcp'): CommandShape {
  return iptables('nat', ['-I', '-D'], 'PREROUTING', [
    '-d',
    host32,
    '-i',
    ifname,
    '-p',
    proto,
    '-m',
    proto,
    '--dport',
    '53',
    '-m',
    'comment',
    '--comment',
    'banger:dns',
    '-j',
    'REDIRECT',
    '--to-ports',
    { kind: 'port' },
  ]);
}

export const ALLOWED_SHAPES: readonly CommandShape[] = [
  // bridge
  ip('bridge', 'link', 'add', ifname, 'address', { kind: 'mac' }, 'type', 'bridge'),
  ip('bridge', 'addr', 'add', { kind: 'ifaddr' }, 'dev', ifname),
  ip('bridge', 'addr', 'del', { kind: 'ifaddr' }, 'dev', ifname),
  ip('bridge', 'link', 'set', 'dev', ifname, 'alias', alias, 'up'),
  ip('bridge', 'link', 'set', 'dev', ifname, 'up'),
  // TAPs: created owned by the daemon's user so Firecracker opens them unprivileged
  ip('tap', 'tuntap', 'add', 'dev', ifname, 'mode', 'tap', 'user', { kind: 'uid' }),
  ip('tap', 'link', 'set', 'dev', ifname, 'master', ifname, 'alias', alias),
  ip('tap', 'link', 'set', 'dev', ifname, 'master', ifname, 'alias', alias, 'up'),
  // a pool TAP becomes a VM's TAP: renaming needs it down, which idle pool TAPs are
  ip('tap', 'link', 'set', 'dev', ifname, 'name', ifname, 'alias', alias, 'up'),
  // TAPs, and a half-made bridge when creating it fails
  ip('tap', 'link', 'del', 'dev', ifname),
  // per-VM NAT; the rule texts are what iptables-save prints, so saved rules can be deleted by spec
  iptables('nat', ['-A', '-D'], 'POSTROUTING', [
    '-s',
    host32,
    '!',
    '-o',
    ifname,
    ...comment,
    '-j',
    'MASQUERADE',
  ]),
  iptables('filter', ['-I', '-D'], 'FORWARD', [
    '-s',
    host32,
    '-i',
    ifname,
    '!',
    '-o',
    ifname,
    ...comment,
    '-j',
    'ACCEPT',
  ]),
  iptables('filter', ['-I', '-D'], 'FORWARD', [
    '-d',
    host32,
    '!',
    '-i',
    ifname,
    '-o',
    ifname,
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    ...comment,
    '-j',
    'ACCEPT',
  ]),
  // guests' port-53 DNS to bangerd's bridge listener; the rule text is what iptables-save prints
  dnsRedirect('udp'),
  dnsRedirect('tcp'),
  { group: 'iptables', tool: 'iptables-save', args: [] },
  { group: 'sysctl', tool: 'sysctl', args: ['-w', 'net.ipv4.ip_forward=1'] },
  // systemd-resolved: the bridge link's DNS server and routing domain (dns-routing.ts)
  resolvectl('dns', ifname, { kind: 'dnsServer' }),
  resolvectl('domain', ifname, '~vm'),
  resolvectl('default-route', ifname, 'false'),
  resolvectl({ kind: 'oneOf', values: ['dnssec', 'dnsovertls', 'llmnr', 'mdns'] }, ifname, 'no'),
];

function matchesPlaceholder(p: Placeholder, value: string): boolean {
  switch (p.kind) {
    case 'ifname':
      return isValidIfname(value);
    case 'uid':
      return /^(0|[1-9]\d{0,9})$/.test(value) && Number(value) < 2 ** 32 - 1;
    case 'mac':
      return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(value);
    case 'host32': {
      const [addr, prefix, ...rest] = value.split('/');
      return rest.length === 0 && prefix === '32' && addr !== undefined && tryParseIpv4(addr) !== undefined;
    }
    case 'ifaddr': {
      const [addr, prefix, ...rest] = value.split('/');
      return (
        rest.length === 0 &&
        addr !== undefined &&
        tryParseIpv4(addr) !== undefined &&
        prefix !== undefined &&
        /^\d{1,2}$/.test(prefix) &&
        Number(prefix) <= 32
      );
    }
    case 'dnsServer': {
      const m = /^([0-9.]+):(\d{1,5})$/.exec(value);
      return (
        m !== null && tryParseIpv4(m[1] ?? '') !== undefined && Number(m[2]) >= 1 && Number(m[2]) <= 65535
      );
    }
    case 'port':
      return /^[1-9]\d{0,4}$/.test(value) && Number(value) <= 65535;
    case 'tag':
      return value.startsWith('banger:') && isTaggableId(value.slice('banger:'.length));
    case 'alias':
      return value === POOL_TAP_ALIAS || value === BRIDGE_ALIAS || matchesPlaceholder({ kind: 'tag' }, value);
    case 'oneOf':
      return p.values.includes(value);
  }
}

function argMatches(pattern: ArgPattern, value: string): boolean {
  return typeof pattern === 'string' ? pattern === value : matchesPlaceholder(pattern, value);
}

/** The shape `args` matches, or undefined when the command is not allowed. */
export function findShape(tool: PrivilegedTool, args: readonly string[]): CommandShape | undefined {
  return ALLOWED_SHAPES.find(
    (shape) =>
      shape.tool === tool &&
      shape.args.length === args.length &&
      shape.args.every((pattern, i) => argMatches(pattern, args[i] ?? '')),
  );
}

export function isAllowed(tool: PrivilegedTool, args: readonly string[]): boolean {
  return findShape(tool, args) !== undefined;
}
