import { setTimeout as sleep } from 'node:timers/promises';
import { formatListenAddress, parseListenAddress } from '../dns/listen-address.js';
import { CommandError, type Runner } from '../runner.js';
import type { PrivilegedRunner } from './privileged.js';

/**
 * Host DNS routing on systemd-resolved hosts (docs/dns-routing.md): the
 * bridge link gets bangerd's bridge listener as its DNS server and `~vm` as
 * a routing-only domain, so resolved sends `*.vm` (and nothing else) to
 * bangerd. Settings made with resolvectl are runtime state: they vanish
 * with the link, so whoever (re)creates the bridge re-applies them.
 * Reading needs no privilege (plain Runner); setting goes through the
 * privileged allow-list.
 */

/** Which link, and the `IP:PORT` resolved should send `*.vm` questions to. */
export interface DnsRoutingTarget {
  link: string;
  server: string;
}

/**
 * The daemon's DNS listener on the bridge, "IP:PORT": `bridge_ip` at the
 * port of `dns_listen_addr`. This is the server resolved is given.
 */
export function bridgeDnsServer(bridgeIp: string, dnsListenAddr: string): string {
  return formatListenAddress({ host: bridgeIp, port: parseListenAddress(dnsListenAddr).port });
}

/** The routing-only domain; `~` keeps `vm` from being appended to single-label names. */
const VM_ROUTING_DOMAIN = '~vm';

/** One per-link resolved setting banger wants, with its resolvectl verb and value. */
interface Setting {
  verb: 'dns' | 'domain' | 'default-route' | 'dnssec' | 'dnsovertls' | 'llmnr' | 'mdns';
  value: string;
  /** Does what `resolvectl <verb> <link>` printed (after "Link N (name):") already mean `value`? */
  holds(current: string[]): boolean;
}

const exactly =
  (...want: string[]) =>
  (current: string[]) =>
    current.length === want.length && want.every((w, i) => current[i] === w);
const isOff = (current: string[]) => current.length === 1 && ['no', 'false'].includes(current[0] ?? '');

function settings(target: DnsRoutingTarget): Setting[] {
  return [
    { verb: 'dns', value: target.server, holds: exactly(target.server) },
    { verb: 'domain', value: VM_ROUTING_DOMAIN, holds: exactly(VM_ROUTING_DOMAIN) },
    { verb: 'default-route', value: 'false', holds: isOff },
    { verb: 'dnssec', value: 'no', holds: isOff },
    { verb: 'dnsovertls', value: 'no', holds: isOff },
    { verb: 'llmnr', value: 'no', holds: isOff },
    { verb: 'mdns', value: 'no', holds: isOff },
  ];
}

/** The resolvectl argument lists that configure `target` (for docs, `system setup --json` and fix texts). */
export function dnsRoutingCommands(target: DnsRoutingTarget): string[][] {
  return settings(target).map((s) => [s.verb, target.link, s.value]);
}

export type DnsRoutingStatus =
  /** resolvectl is missing or resolved does not answer: use the dnsmasq/NetworkManager recipe. */
  | { resolver: 'other'; reason: string }
  /** resolved runs but the link does not exist (yet). */
  | { resolver: 'systemd-resolved'; link: 'missing'; reason: string }
  | {
      resolver: 'systemd-resolved';
      link: 'present';
      /** Settings that differ from what banger wants, as resolvectl verbs ("dns", "domain", ...). */
      missing: string[];
      /** What resolved reports for each verb, space-separated values. */
      current: Record<string, string>;
      ready: boolean;
    };

/** `Link 7 (banger0): 172.16.0.1:42069 10.0.0.1` → the values after the colon. */
export function parseLinkSetting(stdout: string): string[] | undefined {
  const match = /^Link \d+ \([^)]*\):(.*)$/m.exec(stdout);
  if (!match) return undefined;
  return (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

/**
 * Reads the link's settings with `resolvectl <verb> <link>` (one query per
 * setting; the per-verb output is far more stable across systemd versions
 * than `resolvectl status`). Never changes anything, never throws for a
 * host without resolved.
 */
export async function inspectDnsRouting(
  runner: Runner,
  resolvectlPath: string,
  target: DnsRoutingTarget,
): Promise<DnsRoutingStatus> {
  const current: Record<string, string> = {};
  const missing: string[] = [];
  for (const setting of settings(target)) {
    const argv = [resolvectlPath, setting.verb, target.link];
    let result: Awaited<ReturnType<Runner['run']>>;
    try {
      result = await runner.run(argv, { check: false, timeoutMs: 10_000 });
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      const notInstalled = err.message.includes('could not be started');
      return { resolver: 'other', reason: notInstalled ? 'resolvectl is not installed' : err.message };
    }
    const firstLine = result.stderr.trim().split('\n')[0] ?? '';
    if (result.exitCode !== 0) {
      if (/interface|no such device/i.test(firstLine)) {
        return { resolver: 'systemd-resolved', link: 'missing', reason: firstLine };
      }
      return { resolver: 'other', reason: `systemd-resolved does not answer (${firstLine || 'no output'})` };
    }
    const values = parseLinkSetting(result.stdout);
    if (values === undefined) {
      return { resolver: 'other', reason: `unexpected output from ${argv.join(' ')}` };
    }
    current[setting.verb] = values.join(' ');
    if (!setting.holds(values)) missing.push(setting.verb);
  }
  return { resolver: 'systemd-resolved', link: 'present', missing, current, ready: missing.length === 0 };
}

/**
 * `inspectDnsRouting`, but when resolved runs and does not know the link yet
 * it asks again for up to `waitMs`: resolved learns about a new link
 * asynchronously, so right after the bridge is created it may say "no such
 * link" for a moment.
 */
export async function inspectDnsRoutingSettled(
  runner: Runner,
  resolvectlPath: string,
  target: DnsRoutingTarget,
  waitMs = 3000,
): Promise<DnsRoutingStatus> {
  const deadline = Date.now() + waitMs;
  let status = await inspectDnsRouting(runner, resolvectlPath, target);
  while (status.resolver === 'systemd-resolved' && status.link === 'missing' && Date.now() < deadline) {
    await sleep(100);
    status = await inspectDnsRouting(runner, resolvectlPath, target);
  }
  return status;
}

/**
 * Applies every setting as root through the allow-list and returns the
 * resolvectl argument lists it ran. Callers apply when anything is missing,
 * and then set all of it: resolvectl shows effective values, so a setting
 * that reads "no" may only be inheriting the global default, which an admin
 * may change later. Idempotent: resolvectl replaces a link's values.
 */
export async function applyDnsRouting(priv: PrivilegedRunner, target: DnsRoutingTarget): Promise<string[][]> {
  const ran: string[][] = [];
  for (const args of dnsRoutingCommands(target)) {
    await priv.run('resolvectl', args);
    ran.push(args);
  }
  return ran;
}

/** The one-line recipe for hosts without systemd-resolved (docs/dns-routing.md), for doctor and setup. */
export function dnsRoutingRecipe(loopbackServer: string): string {
  const [host, port] = splitServer(loopbackServer);
  return (
    `add "server=/vm/${host}#${port}" to /etc/dnsmasq.d/banger.conf (dnsmasq) or ` +
    '/etc/NetworkManager/dnsmasq.d/banger.conf (NetworkManager with dns=dnsmasq) and restart it; ' +
    'see docs/dns-routing.md'
  );
}

function splitServer(server: string): [string, string] {
  const colon = server.lastIndexOf(':');
  return colon === -1 ? [server, '53'] : [server.slice(0, colon), server.slice(colon + 1)];
}
