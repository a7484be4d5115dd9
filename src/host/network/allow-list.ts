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

export type PrivilegedTool = 'ip' | 'iptables' | 'iptables-save' | 'sysctl';

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
  /** One of the given literals. */
  | { kind: 'oneOf'; values: readonly string[] };

export type ArgPattern = string | Placeholder;

export interface CommandShape {
  readonly tool: PrivilegedTool;
  readonly args: readonly ArgPattern[];
}

const ifname: Placeholder = { kind: 'ifname' };
const host32: Placeholder = { kind: 'host32' };
const tag: Placeholder = { kind: 'tag' };
const comment = ['-m', 'comment', '--comment', tag] as const;

const alias: Placeholder = { kind: 'alias' };

function ip(...args: ArgPattern[]): CommandShape {
  return { tool: 'ip', args };
}

/** iptables with `-w` (wait for the xtables lock) and an explicit table. */
function iptables(
  table: 'nat' | 'filter',
  op: readonly string[],
  chain: string,
  rule: ArgPattern[],
): CommandShape {
  return { tool: 'iptables', args: ['-w', '-t', table, { kind: 'oneOf', values: op }, chain, ...rule] };
}

export const ALLOWED_SHAPES: readonly CommandShape[] = [
  // bridge
  ip('link', 'add', ifname, 'address', { kind: 'mac' }, 'type', 'bridge'),
  ip('addr', 'add', { kind: 'ifaddr' }, 'dev', ifname),
  ip('addr', 'del', { kind: 'ifaddr' }, 'dev', ifname),
  ip('link', 'set', 'dev', ifname, 'alias', alias, 'up'),
  ip('link', 'set', 'dev', ifname, 'up'),
  // TAPs: created owned by the daemon's user so Firecracker opens them unprivileged
  ip('tuntap', 'add', 'dev', ifname, 'mode', 'tap', 'user', { kind: 'uid' }),
  ip('link', 'set', 'dev', ifname, 'master', ifname, 'alias', alias),
  ip('link', 'set', 'dev', ifname, 'master', ifname, 'alias', alias, 'up'),
  // a pool TAP becomes a VM's TAP: renaming needs it down, which idle pool TAPs are
  ip('link', 'set', 'dev', ifname, 'name', ifname, 'alias', alias, 'up'),
  ip('link', 'del', 'dev', ifname),
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
  { tool: 'iptables-save', args: [] },
  { tool: 'sysctl', args: ['-w', 'net.ipv4.ip_forward=1'] },
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
