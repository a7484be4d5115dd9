import type { DoctorCheck } from '../../../api/schemas.js';
import type { PrivilegeGroup } from '../../../host/network/allow-list.js';
import { inspectBridge } from '../../../host/network/bridge.js';
import {
  bridgeDnsServer as bridgeServer,
  type DnsRoutingStatus,
  dnsRoutingCommands,
  dnsRoutingRecipe,
  inspectDnsRouting,
} from '../../../host/network/dns-routing.js';
import { checkPrivileges } from '../../../host/network/privileged.js';
import { DEFAULT_TOOL_PATHS } from '../../../host/network/tools.js';
import type { CheckDefinition, DoctorContext } from './registry.js';

/**
 * Doctor's network checks: whether the daemon may run each class of
 * privileged command (directly as root or through `sudo -n`), the bridge's
 * state, and whether the host resolver routes `*.vm` to the daemon. They
 * only read: `sudo -n -l` asks about a command without running it.
 */

type Result = Omit<DoctorCheck, 'id' | 'title'>;

const SETUP = 'sudo banger system setup';
const toolsOf = (ctx: DoctorContext) => ({ ...DEFAULT_TOOL_PATHS, ...ctx.privileged?.tools });

/** The daemon's DNS listener on the bridge address, as `resolvectl dns` takes it. */
export function bridgeDnsServer(ctx: DoctorContext): string {
  return bridgeServer(ctx.config.bridgeIp, ctx.config.dnsListenAddr);
}

function dnsTarget(ctx: DoctorContext) {
  return { link: ctx.config.bridgeName, server: bridgeDnsServer(ctx) };
}

async function privilegeResult(ctx: DoctorContext, group: PrivilegeGroup): Promise<Result> {
  const asRoot = ctx.privileged?.asRoot ?? process.getuid?.() === 0;
  if (asRoot) return { status: 'pass', detail: 'bangerd runs as root' };
  const checks = await checkPrivileges(ctx.runner, { ...ctx.privileged, groups: [group] });
  const refused = checks.filter((c) => !c.allowed);
  if (refused.length === 0)
    return { status: 'pass', detail: `sudo -n allows all ${checks.length} command(s)` };
  return {
    status: 'fail',
    detail: `sudo -n refuses ${refused.length} of ${checks.length} command(s), e.g. ${refused[0]?.command}`,
    fix: `run \`${SETUP} --install-sudoers\`, or add these lines to /etc/sudoers.d/banger (sudo visudo -f /etc/sudoers.d/banger)`,
    fixLines: refused.map((c) => c.sudoersLine),
  };
}

function privilegeCheck(group: PrivilegeGroup, title: string): CheckDefinition {
  return { id: `privileges:${group}`, title, run: (ctx) => privilegeResult(ctx, group) };
}

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

/** resolved's answer, or the recipe for hosts without it. `dns-routing` and `privileges:dns` share this. */
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
    fixLines: dnsRoutingCommands(target).map((args) => `sudo resolvectl ${args.map(shellQuote).join(' ')}`),
  };
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.:/=-]+$/.test(word) ? word : `'${word}'`;
}

const dnsRouting: CheckDefinition = {
  id: 'dns-routing',
  title: 'host resolver sends *.vm to bangerd',
  run: async (ctx) =>
    describeRouting(ctx, await inspectDnsRouting(ctx.runner, toolsOf(ctx).resolvectl, dnsTarget(ctx))),
};

/** resolvectl rights matter only where resolved runs: the daemon re-applies routing when it recreates the bridge. */
const dnsPrivileges: CheckDefinition = {
  id: 'privileges:dns',
  title: 'root for DNS routing (resolvectl)',
  run: async (ctx) => {
    const status = await inspectDnsRouting(ctx.runner, toolsOf(ctx).resolvectl, dnsTarget(ctx));
    if (status.resolver === 'other') return { status: 'pass', detail: 'not needed: no systemd-resolved' };
    const result = await privilegeResult(ctx, 'dns');
    // Names are a convenience: VMs work without them, so this never blocks.
    return result.status === 'fail' ? { ...result, status: 'warn' } : result;
  },
};

/** In report order. */
export const networkChecks: readonly CheckDefinition[] = [
  privilegeCheck('bridge', 'root for the bridge (ip link/addr)'),
  privilegeCheck('tap', 'root for TAP devices (ip tuntap/link)'),
  privilegeCheck('iptables', 'root for NAT and guest DNS (iptables)'),
  privilegeCheck('sysctl', 'root for IP forwarding (sysctl)'),
  dnsPrivileges,
  bridge,
  dnsRouting,
];
