import { type BridgeConfig, ensureBridge } from '../../src/host/network/bridge.js';
import type { NetworkLog } from '../../src/host/network/log.js';
import { Nat } from '../../src/host/network/nat.js';
import { PrivilegedRunner } from '../../src/host/network/privileged.js';
import { TapPool } from '../../src/host/network/tap-pool.js';
import type { Runner } from '../../src/host/runner.js';
import { createNetns, type NetnsRunner, type TestNetns } from '../support/netns.js';

/** The uid TAPs are created for: not root, like a real daemon's user. */
export const TAP_UID = 4242;

/** A log that records warnings so tests can assert nothing went wrong in the background. */
export function recordingLog(): NetworkLog & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => {},
    warn: (obj, msg) =>
      warnings.push(
        `${msg} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`,
      ),
  };
}

export interface HostNetwork {
  ns: TestNetns;
  runner: NetnsRunner;
  priv: PrivilegedRunner;
  bridge: BridgeConfig;
  pool: TapPool;
  nat: Nat;
  log: ReturnType<typeof recordingLog>;
}

/**
 * A fake host: a fresh network namespace holding banger's bridge, a started
 * TAP pool and the NAT module, all driven through the real modules as root.
 */
export async function hostNetwork(
  label: string,
  options: {
    poolSize?: number;
    cidr?: string;
    gatewayIp?: string;
    runner?: (ns: NetnsRunner) => Runner;
  } = {},
): Promise<HostNetwork> {
  const ns = await createNetns(label);
  const runner = options.runner?.(ns.runner) ?? ns.runner;
  const bridge: BridgeConfig = {
    name: 'banger0',
    gatewayIp: options.gatewayIp ?? '172.16.0.1',
    cidr: options.cidr ?? '172.16.0.0/24',
  };
  const grant = {
    uid: TAP_UID,
    bridgeName: bridge.name,
    bridgeIp: bridge.gatewayIp,
    cidr: bridge.cidr,
    dnsPort: 42069,
  };
  const priv = new PrivilegedRunner(runner, { asRoot: true, grant });
  await ensureBridge(runner, priv, bridge, { vmsRunning: false });
  const log = recordingLog();
  const pool = new TapPool({
    runner,
    priv,
    bridge: bridge.name,
    uid: TAP_UID,
    size: options.poolSize ?? 4,
    log,
  });
  await pool.start();
  await pool.settled();
  const nat = new Nat({ runner, priv, log });
  return { ns, runner: ns.runner, priv, bridge, pool, nat, log };
}

/** Lines of `ip -o link`/`ip -o addr` for idle pool TAPs, which are capacity rather than leaks. */
export const POOL_LINE = /^\d+: bg39u-p\d+[:@ ]/;
