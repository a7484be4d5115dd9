import { vmTag } from '../../domain/network.js';
import type { Runner } from '../runner.js';
import { parseIptablesSave, type SavedRule } from './iptables-save.js';
import type { NetworkLog } from './log.js';
import type { PrivilegedRunner } from './privileged.js';

/** What NAT for one VM is derived from. */
export interface NatTarget {
  vmId: string;
  guestIp: string;
  bridge: string;
}

/** One iptables rule: `args` are exactly what iptables-save prints after `-A <chain>`. */
export interface NatRule {
  table: 'nat' | 'filter';
  chain: 'POSTROUTING' | 'FORWARD' | 'PREROUTING';
  /**
   * How to add it: MASQUERADE is appended; FORWARD accepts (and the DNS
   * redirect) are inserted so a host's earlier or trailing rules cannot shadow them.
   */
  addOp: '-A' | '-I';
  args: string[];
}

/**
 * The rules that give one guest outbound access, each tagged with the
 * comment `banger:<vm id>`. Routed packets enter and leave through the
 * bridge device, not the TAP (a bridge port), so FORWARD matches the bridge
 * plus the guest's /32.
 */
export function natRules(target: NatTarget): NatRule[] {
  const ip = `${target.guestIp}/32`;
  const br = target.bridge;
  const comment = ['-m', 'comment', '--comment', vmTag(target.vmId)];
  return [
    {
      table: 'nat',
      chain: 'POSTROUTING',
      addOp: '-A',
      args: ['-s', ip, '!', '-o', br, ...comment, '-j', 'MASQUERADE'],
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      addOp: '-I',
      args: ['-s', ip, '-i', br, '!', '-o', br, ...comment, '-j', 'ACCEPT'],
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      addOp: '-I',
      args: [
        '-d',
        ip,
        '!',
        '-i',
        br,
        '-o',
        br,
        '-m',
        'conntrack',
        '--ctstate',
        'RELATED,ESTABLISHED',
        ...comment,
        '-j',
        'ACCEPT',
      ],
    },
  ];
}

function ruleKey(rule: { table: string; chain: string; args: readonly string[] }): string {
  return [rule.table, rule.chain, ...rule.args].join(' ');
}

/** iptables arguments that delete `rule` by its full spec. */
export function deleteArgs(rule: { table: string; chain: string; args: readonly string[] }): string[] {
  return ['-w', '-t', rule.table, '-D', rule.chain, ...rule.args];
}

/**
 * Deletes a saved rule by spec, but only when its shape is one banger
 * creates for this daemon's grant (its bridge, its subnet); anything else,
 * another user's banger rules included, is left alone and reported false.
 */
export async function deleteSavedRule(
  priv: PrivilegedRunner,
  rule: SavedRule,
  log: NetworkLog,
): Promise<boolean> {
  const args = deleteArgs(rule);
  if (!priv.allows('iptables', args)) {
    log.warn(
      { table: rule.table, chain: rule.chain, rule: rule.args.join(' ') },
      'not deleting a tagged rule banger does not create',
    );
    return false;
  }
  await priv.run('iptables', args);
  return true;
}

/** Every rule whose comment is exactly `tag` (never a prefix match). */
export function rulesTagged(rules: readonly SavedRule[], tag: string): SavedRule[] {
  return rules.filter((r) => r.comments.includes(tag));
}

/**
 * Converges the rules tagged exactly `tag` in `saved` to `wanted`: adds the
 * missing ones and deletes (by spec, banger-shaped only) the tagged ones not
 * wanted. Running it twice adds nothing. The caller serialises iptables writes.
 */
export async function convergeTaggedRules(
  priv: PrivilegedRunner,
  saved: readonly SavedRule[],
  tag: string,
  wanted: readonly NatRule[],
  log: NetworkLog,
): Promise<{ added: number; removed: number }> {
  const tagged = rulesTagged(saved, tag);
  const wantedKeys = new Set(wanted.map(ruleKey));
  const presentKeys = new Set(tagged.map(ruleKey));
  let removed = 0;
  for (const rule of tagged) {
    if (!wantedKeys.has(ruleKey(rule)) && (await deleteSavedRule(priv, rule, log))) removed++;
  }
  let added = 0;
  for (const rule of wanted) {
    if (presentKeys.has(ruleKey(rule))) continue;
    await priv.run('iptables', ['-w', '-t', rule.table, rule.addOp, rule.chain, ...rule.args]);
    added++;
  }
  return { added, removed };
}

export interface NatOptions {
  runner: Runner;
  priv: PrivilegedRunner;
  log: NetworkLog;
}

/**
 * Per-VM NAT. Changes are serialised within the daemon (one iptables writer).
 * `enable` converges the VM's tagged rules to exactly `natRules(target)`:
 * enabling twice adds nothing, and rules from an old address are removed.
 * `disable` removes every banger-shaped rule tagged `banger:<vm id>`; it is
 * idempotent.
 */
export class Nat {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: NatOptions) {}

  enable(target: NatTarget): Promise<{ added: number; removed: number }> {
    return this.exclusive(async () => {
      const result = await convergeTaggedRules(
        this.o.priv,
        await this.saved(),
        vmTag(target.vmId),
        natRules(target),
        this.o.log,
      );
      await this.ensureForwarding();
      return result;
    });
  }

  disable(vmId: string): Promise<{ removed: number }> {
    return this.exclusive(async () => {
      let removed = 0;
      for (const rule of rulesTagged(await this.saved(), vmTag(vmId))) {
        if (await deleteSavedRule(this.o.priv, rule, this.o.log)) removed++;
      }
      return { removed };
    });
  }

  /** Runs `fn` after every earlier change has finished, whatever its outcome. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The current rules of every table (`iptables-save`). */
  async saved(): Promise<SavedRule[]> {
    const { stdout } = await this.o.priv.run('iptables-save', []);
    return parseIptablesSave(stdout);
  }

  /** Turns on IPv4 forwarding if it is off. It is never turned off: other software may rely on it. */
  private async ensureForwarding(): Promise<void> {
    const { stdout } = await this.o.runner.run([this.o.priv.tools.sysctl, '-n', 'net.ipv4.ip_forward']);
    if (stdout.trim() !== '1') {
      await this.o.priv.run('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
      this.o.log.info({}, 'enabled IPv4 forwarding for NAT');
    }
  }
}
