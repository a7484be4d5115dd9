import { AppError, toAppError } from '../../domain/errors.js';
import { macForIp } from '../../domain/network.js';
import { parseListenAddress } from '../dns/listen-address.js';
import type { Runner } from '../runner.js';
import {
  type BridgeConfig,
  type BridgeStatus,
  type EnsureBridgeResult,
  ensureBridge,
  inspectBridge,
} from './bridge.js';
import { ensureDnsRedirect } from './dns-redirect.js';
import { applyDnsRouting, type DnsRoutingStatus, inspectDnsRoutingSettled } from './dns-routing.js';
import {
  applyIsolation,
  ensureIsolationRules,
  type IsolationReport,
  type IsolationTarget,
  setPortIsolation,
} from './isolation.js';
import type { NetworkLog } from './log.js';
import { Nat } from './nat.js';
import { type PrivilegedOptions, PrivilegedRunner } from './privileged.js';
import { type ReconcileReport, reconcileNetwork } from './reconcile.js';
import { TapPool } from './tap-pool.js';

export interface HostNetworkOptions {
  runner: Runner;
  log: NetworkLog;
  /** From config: `bridge_name`, `bridge_ip`, `cidr`, `tap_pool_size`. */
  bridgeName: string;
  bridgeIp: string;
  cidr: string;
  tapPoolSize: number;
  /** The store's VM id syntax; see ReconcileOptions.isVmId. */
  isVmId: (id: string) => boolean;
  /** Owner of the TAPs. Default: the daemon's uid. */
  uid?: number;
  /** How privileged commands run; the grant is derived from the options above. */
  privileged?: Omit<PrivilegedOptions, 'grant'>;
  /**
   * `IP:PORT` of the daemon's DNS listener on the bridge address. When set,
   * `start` makes systemd-resolved route `*.vm` there (docs/dns-routing.md;
   * hosts without resolved are left alone) and redirects guests' queries to
   * `bridge_ip:53` to its port.
   */
  dnsServer?: string;
  /**
   * Config `guest_isolation`: guests reach the host only for DNS (and replies
   * to the host's own connections) and never each other (isolation.ts).
   * Off, `start` removes what an earlier daemon with it on left.
   */
  guestIsolation?: boolean;
}

/** What a VM needs to be wired to the host network. */
export interface VmNetworkSpec {
  vmId: string;
  guestIp: string;
  nat: boolean;
  /**
   * The VM has never run. Its id is new and random, so no rule can carry
   * it: attach skips looking for rules to remove (a privileged
   * `iptables-save`, through sudo for a user) when NAT is off.
   */
  firstStart?: boolean;
}

/**
 * The daemon's one entry point to host networking: the bridge, the VMs'
 * TAPs (with the warm pool) and per-VM NAT, composed from the modules in
 * this folder. Nothing here is stored: TAP names and rules are recomputed
 * from VM ids, so a restarted daemon calls `start` and carries on.
 */
export class HostNetwork {
  readonly priv: PrivilegedRunner;
  readonly bridge: BridgeConfig;
  readonly pool: TapPool;
  readonly nat: Nat;

  constructor(private readonly o: HostNetworkOptions) {
    const uid = o.uid ?? process.getuid?.() ?? 0;
    const grant = {
      uid,
      bridgeName: o.bridgeName,
      bridgeIp: o.bridgeIp,
      cidr: o.cidr,
      dnsPort: o.dnsServer === undefined ? 0 : parseListenAddress(o.dnsServer).port,
    };
    this.priv = new PrivilegedRunner(o.runner, { ...o.privileged, grant });
    this.bridge = { name: o.bridgeName, gatewayIp: o.bridgeIp, cidr: o.cidr };
    this.pool = new TapPool({
      runner: o.runner,
      priv: this.priv,
      bridge: o.bridgeName,
      uid,
      size: o.tapPoolSize,
      log: o.log,
    });
    this.nat = new Nat({ runner: o.runner, priv: this.priv, log: o.log });
  }

  /** Read-only; for the start-up check and doctor. */
  inspectBridge(): Promise<BridgeStatus> {
    return inspectBridge(this.o.runner, this.priv.tools.ip, this.bridge);
  }

  /** See `ensureBridge`: refuses (conflict) to re-address the bridge while VMs run. */
  ensureBridge(vmsRunning: boolean): Promise<EnsureBridgeResult> {
    return ensureBridge(this.o.runner, this.priv, this.bridge, { vmsRunning });
  }

  /**
   * Daemon start, after the VM reconcile decided which VMs run: make sure the
   * bridge is right, route `*.vm` (host resolver and guests' port 53),
   * remove TAPs and rules of every other VM, converge guest isolation, then adopt and refill the TAP pool. Needs privileges; on failure the daemon still serves
   * (doctor explains) and VM starts fail with the same one-line error.
   */
  async start(runningVmIds: ReadonlySet<string>): Promise<ReconcileReport> {
    await this.ensureBridge(runningVmIds.size > 0);
    await this.routeDns();
    await this.redirectGuestDns();
    const report = await reconcileNetwork({
      runner: this.o.runner,
      priv: this.priv,
      log: this.o.log,
      isVmId: this.o.isVmId,
      keepVmIds: runningVmIds,
      uid: this.pool.uid,
    });
    await this.isolateGuests();
    await this.pool.start();
    return report;
  }

  /**
   * On systemd-resolved hosts, re-applies the bridge link's `~vm` routing
   * when any of it is missing (resolved forgets it when the link is
   * recreated, e.g. after a reboot). Never throws: DNS names are a
   * convenience, so a refusal is logged and doctor explains it. Resolves
   * undefined when `dnsServer` is not set.
   */
  async routeDns(): Promise<DnsRoutingStatus | undefined> {
    const server = this.o.dnsServer;
    if (server === undefined) return undefined;
    const target = { link: this.bridge.name, server };
    try {
      // The bridge may be brand new (ensureBridge just created it), so give resolved a moment to see it.
      const status = await inspectDnsRoutingSettled(this.o.runner, this.priv.tools.resolvectl, target);
      if (status.resolver === 'systemd-resolved' && status.link === 'present' && !status.ready) {
        await applyDnsRouting(this.priv, target);
        this.o.log.info({ link: target.link, server, missing: status.missing }, 'routed *.vm to bangerd');
      }
      return status;
    } catch (err) {
      this.o.log.warn({ err, link: target.link }, 'could not route *.vm to bangerd with resolvectl');
      return undefined;
    }
  }

  /**
   * Converges the `banger:dns` REDIRECT rules (dns-redirect.ts) so guests'
   * port-53 queries to the bridge address reach the daemon's bridge listener.
   * Never throws, like `routeDns`: a sudoers file from before these rules
   * existed must not take VM networking down; doctor's iptables check names
   * the missing lines. Resolves undefined when `dnsServer` is not set, has
   * port 0, or on failure.
   */
  async redirectGuestDns(): Promise<{ added: number; removed: number } | undefined> {
    const server = this.o.dnsServer;
    if (server === undefined) return undefined;
    try {
      const target = {
        bridge: this.bridge.name,
        bridgeIp: this.bridge.gatewayIp,
        port: parseListenAddress(server).port,
      };
      if (target.port === 0) {
        // `dns_listen_addr` port 0 (tests) binds whatever is free, after networking starts: nothing fixed to redirect to.
        this.o.log.info({ server }, "DNS port 0 configured: not redirecting guests' port-53 DNS");
        return undefined;
      }
      const result = await ensureDnsRedirect(this.nat, this.priv, target, this.o.log);
      if (result.added > 0 || result.removed > 0)
        this.o.log.info({ ...target, ...result }, "redirected guests' port-53 DNS to bangerd");
      return result;
    } catch (err) {
      this.o.log.warn({ err, bridge: this.bridge.name }, "could not redirect guests' port-53 DNS to bangerd");
      return undefined;
    }
  }

  /** The isolation rules' target: the bridge, its address and bangerd's DNS port (0: none). */
  private isolationTarget(): IsolationTarget {
    const port = this.o.dnsServer === undefined ? 0 : parseListenAddress(this.o.dnsServer).port;
    return { bridge: this.bridge.name, bridgeIp: this.bridge.gatewayIp, dnsPort: port };
  }

  /**
   * Converges guest isolation (isolation.ts) to `guestIsolation`: rules,
   * the running VMs' TAP flags, IPv6 on the bridge. When isolation is on, a
   * failure throws, so `start` fails and no VM starts unisolated; when it is
   * off, a failure to remove leftovers is only logged. Resolves undefined
   * then.
   */
  async isolateGuests(): Promise<IsolationReport | undefined> {
    const enabled = this.o.guestIsolation === true;
    try {
      const report = await applyIsolation({
        runner: this.o.runner,
        priv: this.priv,
        nat: this.nat,
        log: this.o.log,
        target: this.isolationTarget(),
        uid: this.pool.uid,
        enabled,
      });
      if (report.added > 0 || report.removed > 0 || report.ports.length > 0 || report.ipv6Disabled)
        this.o.log.info({ enabled, ...report }, 'converged guest isolation');
      return report;
    } catch (err) {
      if (enabled) {
        const reason = toAppError(err);
        throw new AppError(
          reason.code === 'internal' ? 'host_unsupported' : reason.code,
          `guest_isolation is on but could not be applied: ${reason.message}`,
          { cause: err },
        );
      }
      this.o.log.warn({ err, bridge: this.bridge.name }, 'could not remove the guest isolation rules');
      return undefined;
    }
  }

  /**
   * Wires a starting VM: its TAP (for Firecracker's `host_dev_name`), its
   * MAC (`guest_mac`), and NAT when asked. With guest isolation the TAP is
   * an isolated bridge port and the isolation rules are re-checked (a
   * firewall reload may have flushed them since `start`). All or nothing: if
   * any of it fails, the TAP is released before the error is rethrown.
   */
  async attach(vm: VmNetworkSpec): Promise<{ tap: string; mac: string }> {
    const tap = await this.pool.acquire(vm.vmId);
    try {
      if (this.o.guestIsolation === true) {
        await setPortIsolation(this.priv, tap, true);
        await ensureIsolationRules(this.nat, this.priv, this.isolationTarget(), this.o.log);
      }
      if (vm.nat || vm.firstStart !== true) await this.setNat(vm);
    } catch (err) {
      await this.nat.disable(vm.vmId).catch(() => undefined);
      await this.pool.release(vm.vmId).catch(() => false);
      throw err;
    }
    return { tap, mac: macForIp(vm.guestIp) };
  }

  /** `vm set --nat/--no-nat` and attach: converges the VM's rules. Idempotent. */
  async setNat(vm: VmNetworkSpec): Promise<void> {
    if (vm.nat) await this.nat.enable({ vmId: vm.vmId, guestIp: vm.guestIp, bridge: this.bridge.name });
    else await this.nat.disable(vm.vmId);
  }

  /** A stopped or deleted VM: removes its rules and TAP. Idempotent. */
  async detach(vmId: string): Promise<void> {
    await this.nat.disable(vmId);
    await this.pool.release(vmId);
  }

  /** Daemon shutdown: stops refilling; idle pool TAPs stay for the next start. */
  stop(): Promise<void> {
    return this.pool.stop();
  }
}
