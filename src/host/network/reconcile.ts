import { tapNameForVm, vmIdFromTag } from '../../domain/network.js';
import type { Runner } from '../runner.js';
import { DNS_REDIRECT_TAG } from './dns-redirect.js';
import { parseIptablesSave } from './iptables-save.js';
import { ISOLATE_TAG } from './isolation.js';
import { listLinks } from './links.js';
import type { NetworkLog } from './log.js';
import { deleteSavedRule } from './nat.js';
import type { PrivilegedRunner } from './privileged.js';
import { deleteTap } from './tap.js';

export interface ReconcileOptions {
  runner: Runner;
  priv: PrivilegedRunner;
  log: NetworkLog;
  /**
   * The store's VM id syntax. A tag `banger:<x>` counts as banger's only when
   * `isVmId(x)`, so look-alikes such as "banger:abc-extra" are not mistaken
   * for a VM's.
   */
  isVmId: (id: string) => boolean;
  /** VMs whose TAP and NAT rules must stay: those running (adopted) after the daemon's own reconcile. */
  keepVmIds: ReadonlySet<string>;
  /** The daemon's uid: only TAPs named for it are its own. */
  uid: number;
}

export interface ReconcileReport {
  removedTaps: string[];
  /** "table chain args..." of each removed rule. */
  removedRules: string[];
  /** Rules tagged for an unknown VM but not shaped like banger's: left alone. */
  skippedRules: string[];
}

/**
 * Removes the TAPs and iptables rules of VMs that are not in `keepVmIds`.
 * Run at daemon start before serving requests. Only resources carrying
 * banger's exact marks are considered:
 * - a TAP whose alias is exactly `banger:<id>` (valid id) AND whose name is
 *   `tapNameForVm(id, uid)`, recomputed from that id and this daemon's uid,
 *   AND which is a TUN/TAP device;
 * - a rule whose comment is exactly `banger:<id>` (valid id) AND whose shape
 *   is one banger creates for this daemon's grant (its bridge and subnet), so
 *   another user's VMs' rules are never touched.
 * Everything else, look-alike names and comments included, is never touched;
 * so are the `banger:dns` redirect (dns-redirect.ts) and the `banger:isolate`
 * rules (isolation.ts), which are not a VM's.
 * Idle pool TAPs are left for `TapPool.start` to adopt.
 */
export async function reconcileNetwork(o: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { removedTaps: [], removedRules: [], skippedRules: [] };
  const orphan = (tag: string | undefined): string | undefined => {
    // The guests' DNS redirect and isolation rules are the daemon's own, whatever `isVmId` accepts: HostNetwork.start converges them.
    if (tag === undefined || tag === DNS_REDIRECT_TAG || tag === ISOLATE_TAG) return undefined;
    const id = vmIdFromTag(tag, o.isVmId);
    return id !== undefined && !o.keepVmIds.has(id) ? id : undefined;
  };

  for (const link of await listLinks(o.runner, o.priv.tools.ip)) {
    const id = orphan(link.alias);
    if (id === undefined || link.kind !== 'tun' || link.name !== tapNameForVm(id, o.uid)) continue;
    if (await deleteTap(o.priv, link.name)) {
      report.removedTaps.push(link.name);
      o.log.info({ tap: link.name, vmId: id }, 'removed the TAP of a VM that is not running');
    }
  }

  const { stdout } = await o.priv.run('iptables-save', []);
  for (const rule of parseIptablesSave(stdout)) {
    const ids = rule.comments.map(orphan).filter((id) => id !== undefined);
    if (ids.length === 0) continue;
    const text = [rule.table, rule.chain, ...rule.args].join(' ');
    if (await deleteSavedRule(o.priv, rule, o.log)) {
      report.removedRules.push(text);
      o.log.info({ rule: text, vmId: ids[0] }, 'removed the NAT rule of a VM that is not running');
    } else {
      report.skippedRules.push(text);
    }
  }
  return report;
}
