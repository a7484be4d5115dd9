import { AppError } from '../../domain/errors.js';
import { BRIDGE_ALIAS, macForIp, planNetwork } from '../../domain/network.js';
import type { Runner } from '../runner.js';
import { getLink, listIpv4Addresses } from './links.js';
import type { PrivilegedRunner } from './privileged.js';

/** The bridge from config: `bridge_name`, `bridge_ip`, `cidr`. */
export interface BridgeConfig {
  name: string;
  gatewayIp: string;
  cidr: string;
}

/** What the host has under the bridge's name, compared with config. Read-only. */
export interface BridgeStatus {
  exists: boolean;
  isBridge: boolean;
  /** Carries banger's alias, so banger created it and may re-address it. */
  managed: boolean;
  up: boolean;
  /** Its IPv4 addresses, "a.b.c.d/p". */
  addresses: string[];
  /** The address config asks for, "a.b.c.d/p". */
  wanted: string;
  /** Exists as a bridge, up, holding the wanted address. */
  ready: boolean;
}

/** For the daemon's start-up check and doctor: never changes anything. */
export async function inspectBridge(
  runner: Runner,
  ipPath: string,
  config: BridgeConfig,
): Promise<BridgeStatus> {
  const plan = planNetwork(config.cidr, config.gatewayIp);
  const wanted = `${plan.gateway}/${plan.subnet.prefix}`;
  const link = await getLink(runner, ipPath, config.name);
  if (!link)
    return { exists: false, isBridge: false, managed: false, up: false, addresses: [], wanted, ready: false };
  const addresses = await listIpv4Addresses(runner, ipPath, config.name);
  const isBridge = link.kind === 'bridge';
  return {
    exists: true,
    isBridge,
    managed: isBridge && link.alias === BRIDGE_ALIAS,
    up: link.up,
    addresses,
    wanted,
    ready: isBridge && link.up && addresses.includes(wanted),
  };
}

export interface EnsureBridgeResult {
  created: boolean;
  readdressed: boolean;
}

/**
 * Makes the bridge exist, hold the configured address and be up.
 * Idempotent: a ready bridge is left alone. A bridge banger did not create
 * (no `banger-bridge` alias) is used only when it already has the address;
 * it is never re-addressed. Banger's own bridge is re-addressed only when no
 * VM is running (`vmsRunning` false); otherwise AppError('conflict'), since
 * moving the gateway would cut off running guests.
 */
export async function ensureBridge(
  runner: Runner,
  priv: PrivilegedRunner,
  config: BridgeConfig,
  options: { vmsRunning: boolean },
): Promise<EnsureBridgeResult> {
  const status = await inspectBridge(runner, priv.tools.ip, config);
  const { name } = config;
  const { wanted } = status;
  if (!status.exists) {
    const plan = planNetwork(config.cidr, config.gatewayIp);
    // A fixed MAC: otherwise the bridge takes the lowest port MAC and changes it as TAPs come and go,
    // which invalidates the guests' ARP entry for their gateway.
    await priv.run('ip', ['link', 'add', name, 'address', macForIp(plan.gateway), 'type', 'bridge']);
    try {
      await priv.run('ip', ['addr', 'add', wanted, 'dev', name]);
      await priv.run('ip', ['link', 'set', 'dev', name, 'alias', BRIDGE_ALIAS, 'up']);
    } catch (err) {
      await priv.run('ip', ['link', 'del', 'dev', name], { check: false }).catch(() => undefined);
      throw err;
    }
    return { created: true, readdressed: false };
  }
  if (!status.isBridge) {
    throw new AppError(
      'conflict',
      `interface ${name} exists and is not a bridge; set bridge_name in config.toml to a free interface name`,
    );
  }
  let readdressed = false;
  const hasWanted = status.addresses.includes(wanted);
  const extra = status.addresses.filter((a) => a !== wanted);
  if (!hasWanted || (status.managed && extra.length > 0)) {
    const current = status.addresses.join(', ') || 'no address';
    if (!status.managed) {
      throw new AppError(
        'conflict',
        `bridge ${name} was not created by banger and has ${current}, not ${wanted}; set bridge_name, bridge_ip and cidr in config.toml to match it, or pick a free bridge_name`,
      );
    }
    if (options.vmsRunning) {
      throw new AppError(
        'conflict',
        `bridge ${name} has ${current} but config asks for ${wanted}; stop all VMs, then restart the daemon to re-address the bridge (or revert bridge_ip/cidr in config.toml)`,
      );
    }
    if (!hasWanted) await priv.run('ip', ['addr', 'add', wanted, 'dev', name]);
    for (const address of extra) await priv.run('ip', ['addr', 'del', address, 'dev', name]);
    readdressed = true;
  }
  if (!status.up) {
    const args = status.managed
      ? ['link', 'set', 'dev', name, 'alias', BRIDGE_ALIAS, 'up']
      : ['link', 'set', 'dev', name, 'up'];
    await priv.run('ip', args);
  }
  return { created: false, readdressed };
}
