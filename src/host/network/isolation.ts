import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { isVmTapName } from '../../domain/network.js';
import { CommandError, type Runner } from '../runner.js';
import type { SavedRule } from './iptables-save.js';
import type { NetworkLog } from './log.js';
import { deleteArgs, deleteSavedRule, type Nat, rulesTagged } from './nat.js';
import type { PrivilegedRunner } from './privileged.js';

/**
 * Guest isolation (config `guest_isolation`): guests may not reach the host
 * except for DNS, nor each other.
 *
 * - guest → host: `filter INPUT` rules on the bridge, at the top of the
 *   chain, in this order: accept RELATED,ESTABLISHED (replies to the host's
 *   own connections, e.g. SSH into the guest), accept udp/tcp to the bridge
 *   address on bangerd's DNS port (INPUT sees that port after the
 *   `banger:dns` REDIRECT from 53), drop the rest. IPv6 is turned off on
 *   the bridge, or guests could reach host services over its link-local
 *   address, which iptables (IPv4) does not see.
 * - guest → guest: VM TAPs are isolated bridge ports (`bridge_slave
 *   isolated on`, Linux ≥ 4.18): isolated ports cannot talk to each other
 *   but still reach the bridge (the host). A `filter FORWARD` drop for
 *   bridge-in/bridge-out stops a guest routing to another one through the
 *   host when IPv4 forwarding is on (it is once a VM uses NAT).
 *
 * Every rule carries the comment `banger:isolate`, never a VM id, so the
 * network reconcile never takes it for a VM's.
 */

/** The comment on the isolation rules. Not a VM tag: VM ids are 16 hex digits. */
export const ISOLATE_TAG = 'banger:isolate';

/** What the isolation rules are derived from. */
export interface IsolationTarget {
  bridge: string;
  bridgeIp: string;
  /** bangerd's DNS port on the bridge address; 0 when it has no fixed one (then guests get no DNS from the host). */
  dnsPort: number;
}

/** One rule in `filter`; `args` are exactly what iptables-save prints after `-A <chain>`. */
export interface IsolationRule {
  chain: 'INPUT' | 'FORWARD';
  args: string[];
}

const CHAINS = ['INPUT', 'FORWARD'] as const;

/** Chains whose isolation rules must be the first rules of the chain (so no host rule can accept before them). */
const AT_TOP: ReadonlySet<string> = new Set(['INPUT']);

/** The rules, in the order they must appear in each chain. */
export function isolationRules(target: IsolationTarget): IsolationRule[] {
  const br = target.bridge;
  const comment = ['-m', 'comment', '--comment', ISOLATE_TAG];
  const dns: IsolationRule[] =
    target.dnsPort === 0
      ? []
      : (['udp', 'tcp'] as const).map((proto) => ({
          chain: 'INPUT',
          args: [
            '-d',
            `${target.bridgeIp}/32`,
            '-i',
            br,
            '-p',
            proto,
            '-m',
            proto,
            '--dport',
            String(target.dnsPort),
            ...comment,
            '-j',
            'ACCEPT',
          ],
        }));
  return [
    {
      chain: 'INPUT',
      args: ['-i', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...comment, '-j', 'ACCEPT'],
    },
    ...dns,
    { chain: 'INPUT', args: ['-i', br, ...comment, '-j', 'DROP'] },
    { chain: 'FORWARD', args: ['-i', br, '-o', br, ...comment, '-j', 'DROP'] },
  ];
}

const key = (r: { chain: string; args: readonly string[] }) => [r.chain, ...r.args].join(' ');
const isDrop = (r: { args: readonly string[] }) => r.args.at(-1) === 'DROP';

/**
 * Makes the `banger:isolate` rules of `saved` exactly `wanted` (`[]`: none),
 * each chain's in order and INPUT's at the top of the chain. When they
 * already are, nothing runs; otherwise every banger-shaped tagged rule is
 * deleted (accepts first, drops last, so the window without a drop is as
 * short as it can be) and `wanted` is inserted from the last rule up
 * (drops first). Tagged rules of other shapes are never touched. The
 * caller serialises iptables writes.
 */
async function convergeIsolationRules(
  priv: PrivilegedRunner,
  saved: readonly SavedRule[],
  wanted: readonly IsolationRule[],
  log: NetworkLog,
): Promise<{ added: number; removed: number }> {
  const tagged = rulesTagged(saved, ISOLATE_TAG).filter((r) => r.table === 'filter');
  const ours = tagged.filter((r) => priv.allows('iptables', deleteArgs(r)));
  for (const rule of tagged.filter((r) => !ours.includes(r))) {
    log.warn(
      { chain: rule.chain, rule: rule.args.join(' ') },
      'not touching a tagged rule banger does not create',
    );
  }
  const inPlace = CHAINS.every((chain) => {
    const want = wanted.filter((r) => r.chain === chain).map(key);
    const have = ours.filter((r) => r.chain === chain).map(key);
    if (want.join('\n') !== have.join('\n')) return false;
    if (!AT_TOP.has(chain)) return true;
    const top = saved.filter((r) => r.table === 'filter' && r.chain === chain).slice(0, want.length);
    return top.map(key).join('\n') === want.join('\n');
  });
  if (inPlace) return { added: 0, removed: 0 };
  let removed = 0;
  for (const rule of [...ours].sort((a, b) => Number(isDrop(a)) - Number(isDrop(b)))) {
    if (await deleteSavedRule(priv, rule, log)) removed++;
  }
  let added = 0;
  for (const rule of [...wanted].reverse()) {
    await priv.run('iptables', ['-w', '-t', 'filter', '-I', rule.chain, ...rule.args]);
    added++;
  }
  return { added, removed };
}

/**
 * Converges the isolation rules (`target` undefined: removes them), serialised
 * with the NAT module's other iptables writes. Idempotent.
 */
export function ensureIsolationRules(
  nat: Nat,
  priv: PrivilegedRunner,
  target: IsolationTarget | undefined,
  log: NetworkLog,
): Promise<{ added: number; removed: number }> {
  return nat.exclusive(async () =>
    convergeIsolationRules(priv, await nat.saved(), target ? isolationRules(target) : [], log),
  );
}

/**
 * Sets a VM TAP's bridge-port isolation. Kernels before 4.18 (or an `ip`
 * without `isolated`) cannot: that fails with a one-line host_unsupported.
 */
export async function setPortIsolation(priv: PrivilegedRunner, tap: string, on: boolean): Promise<void> {
  try {
    await priv.run('ip', ['link', 'set', 'dev', tap, 'type', 'bridge_slave', 'isolated', on ? 'on' : 'off']);
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    throw new AppError(
      'host_unsupported',
      `cannot set bridge port isolation on ${tap} (guest_isolation needs Linux ≥ 4.18 and iproute2 with "isolated"): ${err.message}`,
      { cause: err },
    );
  }
}

const portJson = z.object({
  ifname: z.string(),
  master: z.string().optional(),
  linkinfo: z
    .object({ info_slave_data: z.object({ isolated: z.boolean().optional() }).loose().optional() })
    .loose()
    .optional(),
});

/** The ports of `bridge` as `ip -d -j link show` prints them (unprivileged read), with their isolation flag. */
async function bridgePorts(
  runner: Runner,
  ipPath: string,
  bridge: string,
): Promise<{ name: string; isolated: boolean }[]> {
  const argv = [ipPath, '-d', '-j', 'link', 'show'];
  const { stdout } = await runner.run(argv);
  let raw: unknown;
  try {
    raw = JSON.parse(stdout === '' ? '[]' : stdout);
  } catch (err) {
    throw new AppError('operation_failed', `could not parse the output of ${argv.join(' ')} as JSON`, {
      cause: err,
    });
  }
  const parsed = z.array(portJson).safeParse(raw);
  if (!parsed.success) {
    throw new AppError(
      'operation_failed',
      `unexpected output from ${argv.join(' ')}: ${parsed.error.message}`,
    );
  }
  return parsed.data
    .filter((l) => l.master === bridge)
    .map((l) => ({ name: l.ifname, isolated: l.linkinfo?.info_slave_data?.isolated === true }));
}

/**
 * Gives every VM TAP of `uid` on `bridge` (the running VMs' TAPs) the
 * isolation flag `on`; TAPs already right are left alone. Returns the TAPs
 * changed.
 */
export async function convergePortIsolation(
  runner: Runner,
  priv: PrivilegedRunner,
  o: { bridge: string; uid: number; on: boolean },
): Promise<string[]> {
  const changed: string[] = [];
  for (const port of await bridgePorts(runner, priv.tools.ip, o.bridge)) {
    if (!isVmTapName(port.name, o.uid) || port.isolated === o.on) continue;
    await setPortIsolation(priv, port.name, o.on);
    changed.push(port.name);
  }
  return changed;
}

/**
 * Turns IPv6 off on the bridge when it is on. False when nothing was done:
 * already off, or the host has no IPv6 at all (no such sysctl).
 */
export async function disableBridgeIpv6(
  runner: Runner,
  priv: PrivilegedRunner,
  bridge: string,
): Promise<boolean> {
  const name = `net.ipv6.conf.${bridge}.disable_ipv6`;
  const current = await runner.run([priv.tools.sysctl, '-n', name], { check: false });
  if (current.exitCode !== 0 || current.stdout.trim() !== '0') return false;
  await priv.run('sysctl', ['-w', `${name}=1`]);
  return true;
}

export interface IsolationOptions {
  runner: Runner;
  priv: PrivilegedRunner;
  nat: Nat;
  log: NetworkLog;
  /** The rules' target; also names the bridge whose ports are converged. */
  target: IsolationTarget;
  /** Owner of the VM TAPs. */
  uid: number;
  /** `guest_isolation`. */
  enabled: boolean;
}

export interface IsolationReport {
  added: number;
  removed: number;
  /** VM TAPs whose isolation flag was changed. */
  ports: string[];
  ipv6Disabled: boolean;
}

/**
 * Daemon start: converges everything to `enabled`. On, the rules are in
 * place, the running VMs' TAPs are isolated and the bridge has no IPv6.
 * Off, the rules are removed and the running VMs' TAPs are no longer
 * isolated; IPv6 on the bridge stays as it is (banger uses IPv4 only, and
 * turning it back on could undo an administrator's choice), until the bridge
 * is re-created, e.g. at a reboot.
 */
export async function applyIsolation(o: IsolationOptions): Promise<IsolationReport> {
  const rules = await ensureIsolationRules(o.nat, o.priv, o.enabled ? o.target : undefined, o.log);
  const ipv6Disabled = o.enabled ? await disableBridgeIpv6(o.runner, o.priv, o.target.bridge) : false;
  const ports = await convergePortIsolation(o.runner, o.priv, {
    bridge: o.target.bridge,
    uid: o.uid,
    on: o.enabled,
  });
  return { ...rules, ports, ipv6Disabled };
}
