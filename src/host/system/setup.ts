import type { Config } from '../../domain/config.js';
import { AppError } from '../../domain/errors.js';
import { loadConfig } from '../config-file.js';
import { ensureBridge, inspectBridge } from '../network/bridge.js';
import {
  applyDnsRouting,
  bridgeDnsServer,
  dnsRoutingRecipe,
  inspectDnsRoutingSettled,
} from '../network/dns-routing.js';
import { grantFromConfig, type NetworkGrant } from '../network/grant.js';
import { listLinks } from '../network/links.js';
import { PrivilegedRunner } from '../network/privileged.js';
import { helperSudoersLine } from '../network/sudoers.js';
import { DEFAULT_TOOL_PATHS, type ToolPaths } from '../network/tools.js';
import { resolvePaths } from '../paths.js';
import { assertNoConflict, installHelper, writeGrant } from '../root-helper/install.js';
import { DEFAULT_GRANTS_DIR, DEFAULT_HELPER_DIR } from '../root-helper/protocol.js';
import type { Runner } from '../runner.js';
import { installMissingPackages, type PackagesReport } from './install-packages.js';
import { type InvokingUser, invokingUser } from './invoking-user.js';
import {
  defaultSudoersFile,
  installSudoersFile,
  LEGACY_SUDOERS_FILE,
  removeLegacySudoersFile,
  sudoersFileContent,
  sudoersFileIsCurrent,
} from './sudoers-file.js';

export interface SystemSetupOptions {
  runner: Runner;
  env: Record<string, string | undefined>;
  /** The process's uid; setup refuses to run unless it is 0. */
  uid: number;
  /** Write the sudoers line (after `visudo -c -f`) instead of only printing it. */
  installSudoers?: boolean;
  /** Default /etc/sudoers.d/banger-<uid>. */
  sudoersFile?: string;
  /** The older single sudoers file, removed by --install-sudoers. Default /etc/sudoers.d/banger. */
  legacySudoersFile?: string;
  /** Where the root helper is installed (root-owned). Default /usr/local/libexec/banger. */
  helperDir?: string;
  /** Where users' grants are written (root-owned). Default /etc/banger/users. */
  grantsDir?: string;
  /** The built helper program to install (dist/banger-root.mjs next to the CLI). */
  helperProgram: string;
  /** The node binary the helper runs with. Default: the one running setup. */
  node?: string;
  /** The user to prepare for; default SUDO_USER, else root. */
  user?: string;
  /** Default: that user's ~/.config/banger/config.toml. */
  configFile?: string;
  /** Install the packages of missing host tools with apt-get first (`--install-packages`). */
  installPackages?: boolean;
  /** Asked before installing them (a TTY prompt); absent, the flag is the consent. */
  confirmPackages?: (packages: readonly string[]) => Promise<boolean>;
  /** apt-get's output while it installs. */
  packageOutput?: (chunk: Buffer) => void;
  tools?: Partial<ToolPaths>;
  /** How long to wait for systemd-resolved to notice a new bridge. Default 3 s. */
  resolvedWaitMs?: number;
}

type BridgeAction = 'created' | 'readdressed' | 'brought-up' | 'unchanged';

/** What `banger system setup` found and did; `--json` prints it as is. */
export interface SystemSetupReport {
  /** Host tools' packages: installed only with --install-packages. */
  packages: PackagesReport | { action: 'not-requested' };
  user: InvokingUser;
  configFile: string;
  bridge: { name: string; address: string; action: BridgeAction };
  dnsRouting:
    | {
        resolver: 'systemd-resolved';
        server: string;
        action: 'configured' | 'unchanged';
        commands: string[][];
      }
    | { resolver: 'other'; action: 'skipped'; reason: string; recipe: string };
  /** IPv4 forwarding is left as it is; the daemon turns it on when the first VM with NAT needs it. */
  ipForwarding: 'on-demand';
  /** The root helper and the user's grant: what the user's daemon may do as root. */
  helper:
    | { action: 'not-needed'; reason: string }
    | { action: 'installed' | 'unchanged'; path: string; grant: NetworkGrant; grantFile: string };
  sudoers:
    | { action: 'not-needed'; reason: string }
    | {
        action: 'installed' | 'unchanged' | 'printed';
        file: string;
        lines: string[];
        /** The unsafe file of an older banger, removed by --install-sudoers. */
        removedLegacyFile?: string;
      };
}

/**
 * `banger system setup`: run once as root (`sudo banger system setup`) to
 * prepare the host for the invoking user's daemon, with that user's config:
 * creates the bridge, routes `*.vm` to the daemon on systemd-resolved hosts,
 * installs the root helper with the user's grant (the resources from that
 * config, checked against every other user's grant), and prints or installs
 * the one sudoers line that lets the daemon run the helper through `sudo -n`.
 * It runs in this process, never starts a daemon, and never writes into the
 * user's home (root-owned files there would break the user's daemon). Every
 * step is idempotent, so running it again reports "unchanged".
 */
export async function systemSetup(o: SystemSetupOptions): Promise<SystemSetupReport> {
  if (o.uid !== 0) {
    throw new AppError(
      'host_unsupported',
      'banger system setup changes host networking and must run as root: sudo banger system setup',
    );
  }
  const tools: ToolPaths = { ...DEFAULT_TOOL_PATHS, ...o.tools };
  const user = await invokingUser(o.runner, o.env, o.user);
  // First: the later steps need some of these tools (ip, iptables).
  const packages: SystemSetupReport['packages'] = o.installPackages
    ? await installMissingPackages({
        runner: o.runner,
        ...(o.confirmPackages ? { confirm: o.confirmPackages } : {}),
        ...(o.packageOutput ? { onOutput: o.packageOutput } : {}),
      })
    : { action: 'not-requested' };
  // Under sudo, HOME and XDG_* are root's (or gone): the config is found from the user's passwd entry.
  const userEnv = user.name === 'root' && o.user === undefined ? o.env : { HOME: user.home };
  const configFile = o.configFile ?? resolvePaths(userEnv).configFile;
  const config = loadConfig(configFile, {});
  const grant = grantFromConfig(config, user.uid);
  const grantsDir = o.grantsDir ?? DEFAULT_GRANTS_DIR;
  // Before anything changes: two users must never share a bridge or a subnet.
  if (user.uid !== 0) assertNoConflict(grantsDir, grant);
  const priv = new PrivilegedRunner(o.runner, { asRoot: true, grant, tools });

  const bridge = await setUpBridge(o.runner, priv, config, user.uid !== 0);
  const dnsRouting = await setUpDnsRouting(o.runner, priv, config, o.resolvedWaitMs ?? 3000);
  const helper = setUpHelper(o, user, grant, grantsDir);
  const sudoers = await setUpSudoers(o, user, helper);
  return { packages, user, configFile, bridge, dnsRouting, ipForwarding: 'on-demand', helper, sudoers };
}

function setUpHelper(
  o: SystemSetupOptions,
  user: InvokingUser,
  grant: NetworkGrant,
  grantsDir: string,
): SystemSetupReport['helper'] {
  if (user.uid === 0) {
    return { action: 'not-needed', reason: 'the daemon runs as root and runs its commands directly' };
  }
  const installed = installHelper({
    helperDir: o.helperDir ?? DEFAULT_HELPER_DIR,
    grantsDir,
    program: o.helperProgram,
    node: o.node ?? process.execPath,
  });
  const written = writeGrant(grantsDir, grant);
  const action = installed.action === 'unchanged' && written === 'unchanged' ? 'unchanged' : 'installed';
  return { action, path: installed.path, grant, grantFile: `${grantsDir}/${grant.uid}.json` };
}

async function setUpBridge(
  runner: Runner,
  priv: PrivilegedRunner,
  config: Config,
  granted: boolean,
): Promise<SystemSetupReport['bridge']> {
  const cfg = { name: config.bridgeName, gatewayIp: config.bridgeIp, cidr: config.cidr };
  const before = await inspectBridge(runner, priv.tools.ip, cfg);
  if (granted && before.exists && !before.managed) {
    // The grant lets the user delete and re-address its bridge: never hand over one banger did not make.
    throw new AppError(
      'conflict',
      `interface ${cfg.name} exists and was not created by banger; its user would get root over it, so pick a free bridge_name in config.toml`,
    );
  }
  // Observed, not stored: a port carrying a VM's tag means a guest runs behind this bridge.
  const vmsRunning = (await listLinks(runner, priv.tools.ip)).some(
    (l) => l.master === cfg.name && l.alias?.startsWith('banger:') === true,
  );
  const result = await ensureBridge(runner, priv, cfg, { vmsRunning });
  const action: BridgeAction = result.created
    ? 'created'
    : result.readdressed
      ? 'readdressed'
      : before.up
        ? 'unchanged'
        : 'brought-up';
  return { name: cfg.name, address: before.wanted, action };
}

async function setUpDnsRouting(
  runner: Runner,
  priv: PrivilegedRunner,
  config: Config,
  waitMs: number,
): Promise<SystemSetupReport['dnsRouting']> {
  const server = bridgeDnsServer(config.bridgeIp, config.dnsListenAddr);
  const target = { link: config.bridgeName, server };
  const status = await inspectDnsRoutingSettled(runner, priv.tools.resolvectl, target, waitMs);
  if (status.resolver === 'other') {
    return {
      resolver: 'other',
      action: 'skipped',
      reason: status.reason,
      recipe: dnsRoutingRecipe(config.dnsListenAddr),
    };
  }
  if (status.link === 'missing') {
    throw new AppError(
      'operation_failed',
      `systemd-resolved does not know ${target.link} (${status.reason}); run banger system setup again`,
    );
  }
  if (server.endsWith(':0')) {
    throw new AppError(
      'invalid_config',
      `dns_listen_addr ${config.dnsListenAddr} has port 0, which resolved cannot be pointed at; set a fixed port in config.toml`,
    );
  }
  if (status.ready) return { resolver: 'systemd-resolved', server, action: 'unchanged', commands: [] };
  const commands = await applyDnsRouting(priv, target);
  return { resolver: 'systemd-resolved', server, action: 'configured', commands };
}

async function setUpSudoers(
  o: SystemSetupOptions,
  user: InvokingUser,
  helper: SystemSetupReport['helper'],
): Promise<SystemSetupReport['sudoers']> {
  if (helper.action === 'not-needed') {
    return { action: 'not-needed', reason: 'the daemon runs as root and runs its commands directly' };
  }
  const file = o.sudoersFile ?? defaultSudoersFile(user.uid);
  const lines = [helperSudoersLine(user.name, helper.path)];
  const content = sudoersFileContent(user.name, lines);
  if (!o.installSudoers) {
    return { action: sudoersFileIsCurrent(file, content) ? 'unchanged' : 'printed', file, lines };
  }
  const action = await installSudoersFile(o.runner, file, content);
  const legacy = o.legacySudoersFile ?? LEGACY_SUDOERS_FILE;
  const removed = legacy !== file && removeLegacySudoersFile(legacy);
  return { action, file, lines, ...(removed ? { removedLegacyFile: legacy } : {}) };
}
