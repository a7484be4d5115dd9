import { fileURLToPath } from 'node:url';
import type { DoctorCheck } from '../../../api/schemas.js';
import { inspectBridge } from '../../../host/network/bridge.js';
import {
  bridgeDnsServer as bridgeServer,
  type DnsRoutingStatus,
  dnsRoutingCommands,
  dnsRoutingRecipe,
  inspectDnsRouting,
} from '../../../host/network/dns-routing.js';
import { grantFromConfig, type NetworkGrant } from '../../../host/network/grant.js';
import {
  findUnsafeSudoers,
  helperProgramStatus,
  inspectHelper,
} from '../../../host/network/privilege-status.js';
import { DEFAULT_TOOL_PATHS } from '../../../host/network/tools.js';
import { shellJoin } from '../../../host/ssh/quote.js';
import type { CheckDefinition, DoctorContext } from './registry.js';

/**
 * Doctor's network checks: whether the daemon may run its privileged
 * commands (directly as root, or through `sudo -n` and banger's root helper
 * with a grant matching the config), whether sudoers still holds an older
 * banger's unsafe lines, the bridge's state, and whether the host resolver
 * routes `*.vm` to the daemon. They only read.
 */

type Result = Omit<DoctorCheck, 'id' | 'title'>;

const SETUP = 'sudo banger system setup';
const toolsOf = (ctx: DoctorContext) => ({ ...DEFAULT_TOOL_PATHS, ...ctx.privileged?.tools });

/** The daemon's DNS listener on the bridge address, as `resolvectl dns` takes it. */
function bridgeDnsServer(ctx: DoctorContext): string {
  return bridgeServer(ctx.config.bridgeIp, ctx.config.dnsListenAddr);
}

function dnsTarget(ctx: DoctorContext) {
  return { link: ctx.config.bridgeName, server: bridgeDnsServer(ctx) };
}

const asRootOf = (ctx: DoctorContext) => ctx.privileged?.asRoot ?? process.getuid?.() === 0;

function describeGrant(g: NetworkGrant): string {
  return `bridge ${g.bridgeName} ${g.bridgeIp}, subnet ${g.cidr}, DNS port ${g.dnsPort || 'none'}`;
}

const rootHelper: CheckDefinition = {
  id: 'privileges',
  title: "root for networking (banger's root helper)",
  run: async (ctx) => {
    if (asRootOf(ctx)) return { status: 'pass', detail: 'bangerd runs as root' };
    const uid = process.getuid?.() ?? 0;
    const wanted = grantFromConfig(ctx.config, ctx.privileged?.grant.uid ?? uid);
    const helper = ctx.privileged?.helper ?? ctx.config.rootHelper;
    const status = await inspectHelper(ctx.runner, { sudo: toolsOf(ctx).sudo, helper, wanted });
    if (status.state === 'refused') {
      return {
        status: 'fail',
        detail: `cannot run the root helper: ${status.reason}`,
        fix: `run \`${SETUP} --install-sudoers\`: it installs ${helper}, this user's grant and one sudoers line`,
      };
    }
    if (!status.matches) {
      return {
        status: 'fail',
        detail: `the grant is for ${describeGrant(status.grant)}; config asks for ${describeGrant(wanted)}`,
        fix: `run \`${SETUP} --install-sudoers\` again after changing bridge_name, bridge_ip, cidr or dns_listen_addr`,
      };
    }
    // The daemon's bundle sits next to the helper program this banger ships (dist/banger-root.mjs).
    const bundled = fileURLToPath(new URL('./banger-root.mjs', import.meta.url));
    if (helperProgramStatus(helper, bundled) === 'outdated') {
      return {
        status: 'fail',
        detail: `the root helper at ${helper} is from another banger version, so newer commands may be refused`,
        fix: `run \`${SETUP} --install-sudoers\` again after upgrading banger`,
      };
    }
    return {
      status: 'pass',
      detail: `sudo -n runs ${helper}, which allows only banger's commands for ${describeGrant(status.grant)}`,
    };
  },
};

const unsafeSudoers: CheckDefinition = {
  id: 'privileges:unsafe-sudoers',
  title: 'no unsafe sudoers lines from an older banger',
  run: async (ctx) => {
    if (asRootOf(ctx)) return { status: 'pass', detail: 'not applicable: bangerd runs as root' };
    const unsafe = await findUnsafeSudoers(ctx.runner, toolsOf(ctx).sudo);
    if (unsafe.length === 0) return { status: 'pass', detail: 'sudo grants no network tool directly' };
    return {
      status: 'fail',
      detail: `sudo grants ${unsafe.length} network command(s) directly, which gives root (e.g. iptables-save -f overwrites any file): ${unsafe[0]}`,
      fix: `run \`${SETUP} --install-sudoers\`: it removes /etc/sudoers.d/banger from an older banger; delete any other such lines with sudo visudo`,
      fixLines: unsafe,
    };
  },
};

const bridge: CheckDefinition = {
  id: 'bridge',
  title: 'guest bridge',
  run: async (ctx) => {
    const { config } = ctx;
    const cfg = { name: config.bridgeName, gatewayIp: config.bridgeIp, cidr: config.cidr };
    const s = await inspectBridge(ctx.runner, toolsOf(ctx).ip, cfg);
    if (!s.exists) {
      return {
        status: 'warn',
        detail: `${cfg.name} does not exist yet (wanted ${s.wanted})`,
        fix: `run \`${SETUP}\`; the daemon also creates it when it starts, if it may`,
      };
    }
    if (!s.isBridge) {
      return {
        status: 'fail',
        detail: `${cfg.name} exists and is not a bridge`,
        fix: 'set bridge_name in config.toml to a free interface name',
      };
    }
    const has = s.addresses.join(', ') || 'no address';
    if (!s.addresses.includes(s.wanted)) {
      return {
        status: 'fail',
        detail: `${cfg.name} has ${has}, config asks for ${s.wanted}`,
        fix: s.managed
          ? 'stop all VMs and restart the daemon (banger daemon stop) to re-address it, or revert bridge_ip/cidr in config.toml'
          : 'it was not created by banger: set bridge_name, bridge_ip and cidr in config.toml to match it, or pick a free bridge_name',
      };
    }
    if (!s.up) {
      return { status: 'warn', detail: `${cfg.name} has ${s.wanted} but is down`, fix: `run \`${SETUP}\`` };
    }
    return { status: 'pass', detail: `${cfg.name} ${has}${s.managed ? '' : ' (not created by banger)'}` };
  },
};

/** resolved's answer, or the recipe for hosts without it (the `dns-routing` check). */
function describeRouting(ctx: DoctorContext, status: DnsRoutingStatus): Result {
  const target = dnsTarget(ctx);
  if (status.resolver === 'other') {
    return {
      status: 'warn',
      detail: `no systemd-resolved here (${status.reason}); banger cannot route *.vm for you`,
      fix: dnsRoutingRecipe(ctx.config.dnsListenAddr),
    };
  }
  if (status.link === 'missing') {
    return {
      status: 'warn',
      detail: `systemd-resolved runs, but ${target.link} does not exist yet`,
      fix: `run \`${SETUP}\``,
    };
  }
  const listening = ctx.dns?.listening;
  if (status.ready && listening !== undefined && !listening.includes(target.server)) {
    return {
      status: 'warn',
      detail: `resolved sends *.vm to ${target.server}, but bangerd does not listen there (it listens on ${listening.join(', ') || 'nothing'})`,
      fix: 'restart the daemon (banger daemon stop) now that the bridge exists; its log says why binding failed',
    };
  }
  if (status.ready) return { status: 'pass', detail: `systemd-resolved sends *.vm to ${target.server}` };
  const wrong = status.missing.map((verb) => `${verb}=${status.current[verb] || '(unset)'}`).join(', ');
  return {
    status: 'warn',
    detail: `systemd-resolved does not route *.vm to bangerd on ${target.link}: ${wrong}`,
    fix: `run \`${SETUP}\`, or these commands`,
    fixLines: dnsRoutingCommands(target).map((args) => `sudo resolvectl ${shellJoin(args)}`),
  };
}

const dnsRouting: CheckDefinition = {
  id: 'dns-routing',
  title: 'host resolver sends *.vm to bangerd',
  run: async (ctx) =>
    describeRouting(ctx, await inspectDnsRouting(ctx.runner, toolsOf(ctx).resolvectl, dnsTarget(ctx))),
};

/** In report order. */
export const networkChecks: readonly CheckDefinition[] = [rootHelper, unsafeSudoers, bridge, dnsRouting];
