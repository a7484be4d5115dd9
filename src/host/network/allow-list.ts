import {
  BRIDGE_ALIAS,
  formatIpv4,
  isOwnTapName,
  isTaggableId,
  isUsableHost,
  isVmTapName,
  macForIp,
  POOL_TAP_ALIAS,
  parsePoolTapName,
  tryParseIpv4,
} from '../../domain/network.js';
import type { ResolvedGrant } from './grant.js';

/**
 * The complete list of commands banger runs as root, as argument shapes
 * pinned to one user's grant (grant.ts): the bridge it names, TAPs named for
 * its uid, addresses in its subnet, `banger:<16 hex>` / `banger:dns` /
 * `banger:isolate` tags, its DNS port. A command runs only when its tool and every argument match
 * one shape exactly (same length, literals equal, placeholders valid). The
 * root helper enforces this list, so it is the security boundary: keep it
 * short, and never add a placeholder that accepts free text.
 */

export type PrivilegedTool = 'ip' | 'iptables' | 'iptables-save' | 'sysctl' | 'resolvectl';

export const PRIVILEGED_TOOLS: readonly PrivilegedTool[] = [
  'ip',
  'iptables',
  'iptables-save',
  'sysctl',
  'resolvectl',
];

/** A placeholder stands for one argument, checked against the grant. */
type Placeholder =
  /** Exactly the granted bridge. */
  | { kind: 'bridge' }
  /** A VM TAP or pool TAP name of the granted uid. */
  | { kind: 'ownTap' }
  | { kind: 'vmTap' }
  | { kind: 'poolTap' }
  /** Exactly the granted uid, decimal. */
  | { kind: 'uid' }
  /** The bridge's fixed MAC (derived from its address). */
  | { kind: 'bridgeMac' }
  /** Exactly the bridge's address with the subnet's prefix. */
  | { kind: 'bridgeAddr' }
  /** Any "a.b.c.d/p" (a stale address being removed from the granted bridge). */
  | { kind: 'anyIfaddr' }
  /** "a.b.c.d/32": a guest address of the granted subnet (not the gateway). */
  | { kind: 'guest32' }
  /** Exactly "<bridge ip>/32". */
  | { kind: 'bridge32' }
  /** Any "a.b.c.d/32" (a stale rule on the granted bridge being deleted). */
  | { kind: 'anyHost32' }
  /** Any port 1-65535 (a stale rule on the granted bridge being deleted). */
  | { kind: 'anyPort' }
  /** "banger:" + a VM id (16 hex digits). */
  | { kind: 'vmTag' }
  /** Exactly the granted DNS port (never when it is 0). */
  | { kind: 'dnsPort' }
  /** Exactly "<bridge ip>:<DNS port>" (never when the port is 0). */
  | { kind: 'dnsServer' }
  /** Exactly "net.ipv6.conf.<bridge>.disable_ipv6=1" (never for a bridge name with a dot). */
  | { kind: 'bridgeIpv6Off' }
  /** One of the given literals. */
  | { kind: 'oneOf'; values: readonly string[] };

type ArgPattern = string | Placeholder;

export interface CommandShape {
  readonly tool: PrivilegedTool;
  readonly args: readonly ArgPattern[];
}

const p = <K extends Placeholder['kind']>(kind: K) => ({ kind }) as Extract<Placeholder, { kind: K }>;
const bridge = p('bridge');
const guest32 = p('guest32');
const vmTag = p('vmTag');
const comment = ['-m', 'comment', '--comment', vmTag] as const;

function ip(...args: ArgPattern[]): CommandShape {
  return { tool: 'ip', args };
}

/** Per-link settings that route `*.vm` to the daemon (docs/dns-routing.md). */
function resolvectl(...args: ArgPattern[]): CommandShape {
  return { tool: 'resolvectl', args };
}

/** iptables with `-w` (wait for the xtables lock) and an explicit table. */
function iptables(
  table: 'nat' | 'filter',
  op: readonly string[],
  chain: string,
  rule: ArgPattern[],
): CommandShape {
  return {
    tool: 'iptables',
    args: ['-w', '-t', table, { kind: 'oneOf', values: op }, chain, ...rule],
  };
}

/**
 * The guests' DNS redirect (dns-redirect.ts): port 53 on the bridge address
 * to bangerd's port. Only the granted address and port may be inserted; a
 * stale redirect on the granted bridge (old address or port) may be deleted.
 */
function dnsRedirect(proto: 'udp' | 'tcp', op: '-I' | '-D'): CommandShape {
  const current = op === '-I';
  return iptables('nat', [op], 'PREROUTING', [
    '-d',
    current ? p('bridge32') : p('anyHost32'),
    '-i',
    bridge,
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
    current ? p('dnsPort') : p('anyPort'),
  ]);
}

/** The comment on the guest-isolation rules (isolation.ts); a fixed word, never a VM id. */
const ISOLATE_COMMENT = ['-m', 'comment', '--comment', 'banger:isolate'] as const;

/**
 * Guest isolation (isolation.ts), in `filter INPUT`: guests may reach the
 * host's bridge address only on the granted DNS port (what the `banger:dns`
 * REDIRECT turns port 53 into). Only the granted address and port may be
 * inserted; a stale accept on the granted bridge may be deleted.
 */
function isolateDnsAccept(proto: 'udp' | 'tcp', op: '-I' | '-D'): CommandShape {
  const current = op === '-I';
  return iptables('filter', [op], 'INPUT', [
    '-d',
    current ? p('bridge32') : p('anyHost32'),
    '-i',
    bridge,
    '-p',
    proto,
    '-m',
    proto,
    '--dport',
    current ? p('dnsPort') : p('anyPort'),
    ...ISOLATE_COMMENT,
    '-j',
    'ACCEPT',
  ]);
}

/**
 * Every allowed command shape. Built on each call (a few dozen small arrays,
 * once per privileged command) rather than once at import, so each shape is
 * exercised by the tests that match against it: mutation testing skips code
 * that only runs at import, and this list is the code that matters most.
 */
export function allowedShapes(): readonly CommandShape[] {
  return [
    // the bridge (system setup, and the daemon re-creating it after a reboot)
    ip('link', 'add', bridge, 'address', p('bridgeMac'), 'type', 'bridge'),
    ip('addr', 'add', p('bridgeAddr'), 'dev', bridge),
    ip('addr', 'del', p('anyIfaddr'), 'dev', bridge),
    ip('link', 'set', 'dev', bridge, 'alias', BRIDGE_ALIAS, 'up'),
    ip('link', 'set', 'dev', bridge, 'up'),
    // a half-made bridge when creating it fails
    ip('link', 'del', 'dev', bridge),
    // TAPs: created owned by the daemon's user so Firecracker opens them unprivileged
    ip('tuntap', 'add', 'dev', p('ownTap'), 'mode', 'tap', 'user', p('uid')),
    ip('link', 'set', 'dev', p('poolTap'), 'master', bridge, 'alias', POOL_TAP_ALIAS),
    ip('link', 'set', 'dev', p('vmTap'), 'master', bridge, 'alias', vmTag, 'up'),
    // a pool TAP becomes a VM's TAP: renaming needs it down, which idle pool TAPs are
    ip('link', 'set', 'dev', p('poolTap'), 'name', p('vmTap'), 'alias', vmTag, 'up'),
    ip('link', 'del', 'dev', p('ownTap')),
    // guest isolation: a VM TAP talks to the bridge (the host) only, never to another isolated port
    ip('link', 'set', 'dev', p('vmTap'), 'type', 'bridge_slave', 'isolated', {
      kind: 'oneOf',
      values: ['on', 'off'],
    }),
    // per-VM NAT; the rule texts are what iptables-save prints, so saved rules can be deleted by spec
    iptables('nat', ['-A', '-D'], 'POSTROUTING', [
      '-s',
      guest32,
      '!',
      '-o',
      bridge,
      ...comment,
      '-j',
      'MASQUERADE',
    ]),
    iptables('filter', ['-I', '-D'], 'FORWARD', [
      '-s',
      guest32,
      '-i',
      bridge,
      '!',
      '-o',
      bridge,
      ...comment,
      '-j',
      'ACCEPT',
    ]),
    iptables('filter', ['-I', '-D'], 'FORWARD', [
      '-d',
      guest32,
      '!',
      '-i',
      bridge,
      '-o',
      bridge,
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      ...comment,
      '-j',
      'ACCEPT',
    ]),
    dnsRedirect('udp', '-I'),
    dnsRedirect('tcp', '-I'),
    dnsRedirect('udp', '-D'),
    dnsRedirect('tcp', '-D'),
    // guest isolation (isolation.ts): guests reach the host only for replies and DNS, and never each other
    iptables('filter', ['-I', '-D'], 'INPUT', [
      '-i',
      bridge,
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      ...ISOLATE_COMMENT,
      '-j',
      'ACCEPT',
    ]),
    isolateDnsAccept('udp', '-I'),
    isolateDnsAccept('tcp', '-I'),
    isolateDnsAccept('udp', '-D'),
    isolateDnsAccept('tcp', '-D'),
    iptables('filter', ['-I', '-D'], 'INPUT', ['-i', bridge, ...ISOLATE_COMMENT, '-j', 'DROP']),
    iptables('filter', ['-I', '-D'], 'FORWARD', [
      '-i',
      bridge,
      '-o',
      bridge,
      ...ISOLATE_COMMENT,
      '-j',
      'DROP',
    ]),
    // reading the rules: never with arguments (`-f FILE` would write any file as root)
    { tool: 'iptables-save', args: [] },
    { tool: 'sysctl', args: ['-w', 'net.ipv4.ip_forward=1'] },
    // guest isolation: no IPv6 on the bridge, so guests cannot reach the host over link-local addresses
    { tool: 'sysctl', args: ['-w', p('bridgeIpv6Off')] },
    // systemd-resolved: the bridge link's DNS server and routing domain (dns-routing.ts)
    resolvectl('dns', bridge, p('dnsServer')),
    resolvectl('domain', bridge, '~vm'),
    resolvectl('default-route', bridge, 'false'),
    resolvectl({ kind: 'oneOf', values: ['dnssec', 'dnsovertls', 'llmnr', 'mdns'] }, bridge, 'no'),
  ];
}

function ipOf(value: string, suffix: string): number | undefined {
  return value.endsWith(suffix) ? tryParseIpv4(value.slice(0, -suffix.length)) : undefined;
}

function matchesPlaceholder(ph: Placeholder, value: string, g: ResolvedGrant): boolean {
  switch (ph.kind) {
    case 'bridge':
      return value === g.bridgeName;
    case 'ownTap':
      return isOwnTapName(value, g.uid);
    case 'vmTap':
      return isVmTapName(value, g.uid);
    case 'poolTap':
      return parsePoolTapName(value, g.uid) !== undefined;
    case 'uid':
      return value === String(g.uid);
    case 'bridgeMac':
      return value === macForIp(g.bridgeIp);
    case 'bridgeAddr':
      return value === `${g.plan.gateway}/${g.plan.subnet.prefix}`;
    case 'anyIfaddr': {
      const m = /^([0-9.]+)\/(\d{1,2})$/.exec(value);
      return m !== null && tryParseIpv4(m[1] ?? '') !== undefined && Number(m[2]) <= 32;
    }
    case 'guest32': {
      const addr = ipOf(value, '/32');
      return addr !== undefined && isUsableHost(g.plan.subnet, addr) && formatIpv4(addr) !== g.plan.gateway;
    }
    case 'bridge32':
      return value === `${g.plan.gateway}/32`;
    case 'anyHost32':
      return ipOf(value, '/32') !== undefined;
    case 'anyPort':
      return /^[1-9]\d{0,4}$/.test(value) && Number(value) <= 65535;
    case 'vmTag':
      return value.startsWith('banger:') && isTaggableId(value.slice('banger:'.length));
    case 'dnsPort':
      return g.dnsPort !== 0 && value === String(g.dnsPort);
    case 'dnsServer':
      return g.dnsPort !== 0 && value === `${g.plan.gateway}:${g.dnsPort}`;
    case 'bridgeIpv6Off':
      return !g.bridgeName.includes('.') && value === `net.ipv6.conf.${g.bridgeName}.disable_ipv6=1`;
    case 'oneOf':
      return ph.values.includes(value);
  }
}

function argMatches(pattern: ArgPattern, value: string, grant: ResolvedGrant): boolean {
  return typeof pattern === 'string' ? pattern === value : matchesPlaceholder(pattern, value, grant);
}

/** The shape `args` matches under `grant`, or undefined when the command is not allowed. */
export function findShape(
  grant: ResolvedGrant,
  tool: string,
  args: readonly string[],
): CommandShape | undefined {
  return allowedShapes().find(
    (shape) =>
      shape.tool === tool &&
      shape.args.length === args.length &&
      shape.args.every((pattern, i) => argMatches(pattern, args[i] ?? '', grant)),
  );
}

export function isAllowed(grant: ResolvedGrant, tool: string, args: readonly string[]): boolean {
  return findShape(grant, tool, args) !== undefined;
}
