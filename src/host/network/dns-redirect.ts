import type { NetworkLog } from './log.js';
import { convergeTaggedRules, type Nat, type NatRule } from './nat.js';
import type { PrivilegedRunner } from './privileged.js';

/**
 * Guests' DNS (docs/dns-routing.md): a guest's resolv.conf names the bridge
 * address first, and guest resolvers only speak to port 53, while bangerd
 * listens on `bridge_ip:<dns port>`. A `nat PREROUTING` REDIRECT turns
 * queries that arrive on the bridge for `bridge_ip:53` into queries to that
 * port; REDIRECT sends them to the incoming interface's primary address,
 * which is `bridge_ip`, where bangerd's bridge listener is bound.
 */

/** The comment on the redirect rules. Not a VM tag: VM ids never read "dns", so reconcile never takes them for orphans. */
export const DNS_REDIRECT_TAG = 'banger:dns';

/** What the redirect is derived from: the bridge, its address, and bangerd's DNS port. */
export interface DnsRedirectTarget {
  bridge: string;
  bridgeIp: string;
  port: number;
}

/**
 * The udp and tcp rules, in the form iptables-save prints them so saved
 * rules compare and delete by spec. bangerd answers over UDP only; the tcp
 * rule makes a guest's TCP retry get a prompt reset from the same place
 * instead of reaching whatever else might listen on the host's port 53.
 */
export function dnsRedirectRules(target: DnsRedirectTarget): NatRule[] {
  return (['udp', 'tcp'] as const).map((proto) => ({
    table: 'nat',
    chain: 'PREROUTING',
    addOp: '-I',
    args: [
      '-d',
      `${target.bridgeIp}/32`,
      '-i',
      target.bridge,
      '-p',
      proto,
      '-m',
      proto,
      '--dport',
      '53',
      '-m',
      'comment',
      '--comment',
      DNS_REDIRECT_TAG,
      '-j',
      'REDIRECT',
      '--to-ports',
      String(target.port),
    ],
  }));
}

/**
 * Makes the `banger:dns` rules exactly `dnsRedirectRules(target)`: adds what
 * is missing and removes tagged rules from an old bridge, address or port.
 * Idempotent; serialised with the NAT module's other iptables writes.
 * Rules without the exact tag are never touched.
 */
export function ensureDnsRedirect(
  nat: Nat,
  priv: PrivilegedRunner,
  target: DnsRedirectTarget,
  log: NetworkLog,
): Promise<{ added: number; removed: number }> {
  return nat.exclusive(async () =>
    convergeTaggedRules(priv, await nat.saved(), DNS_REDIRECT_TAG, dnsRedirectRules(target), log),
  );
}
