import { randomBytes } from 'node:crypto';
import { type Runner, type RunOptions, type RunResult, SpawnRunner } from '../../src/host/runner.js';

/**
 * Private network namespaces for network tests. Every command a test or the
 * code under test runs goes through a NetnsRunner, so nothing ever touches
 * the host's own interfaces, routes, firewall or sysctls (a namespace has
 * its own of each, ip_forward and the iptables tables included).
 */

/** A Runner decorator that runs every argv inside network namespace `ns` (`ip netns exec`). */
export class NetnsRunner implements Runner {
  constructor(
    readonly ns: string,
    private readonly inner: Runner = new SpawnRunner(),
  ) {}

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.inner.run(['ip', 'netns', 'exec', this.ns, ...argv], options);
  }
}

export interface TestNetns {
  name: string;
  runner: NetnsRunner;
  /** Runs a command in the namespace; throws on a non-zero exit. */
  sh(command: string): Promise<RunResult>;
}

const host = new SpawnRunner();
const created = new Set<string>();

/** Network tests need root (CAP_NET_ADMIN) to create namespaces; say so plainly instead of failing obscurely. */
function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'network integration tests create network namespaces and must run as root (e.g. in CI or sudo)',
    );
  }
}

/** Creates `banger-test-<label>-<random>` with loopback up. Remove it with destroyNetns or destroyAllNetns. */
export async function createNetns(label: string): Promise<TestNetns> {
  requireRoot();
  const name = `banger-test-${label}-${randomBytes(4).toString('hex')}`;
  await host.run(['ip', 'netns', 'add', name]);
  created.add(name);
  const runner = new NetnsRunner(name, host);
  await runner.run(['ip', 'link', 'set', 'dev', 'lo', 'up']);
  return { name, runner, sh: (command) => runner.run(['sh', '-ec', command]) };
}

/** Kills the processes inside the namespace (only tests start any) and deletes it. Idempotent. */
export async function destroyNetns(name: string): Promise<void> {
  const pids = await host.run(['ip', 'netns', 'pids', name], { check: false });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await host.run(['ip', 'netns', 'del', name], { check: false });
  created.delete(name);
}

/** For afterAll: removes every namespace this test file created, even after a failure. */
export async function destroyAllNetns(): Promise<void> {
  for (const name of [...created]) await destroyNetns(name);
}

/** iptables-save output without its timestamps and packet counters, for before/after comparison. */
export function normaliseIptablesSave(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/g, '[0:0]'))
    .join('\n');
}

/**
 * What a namespace's network looks like, for "left exactly as before"
 * checks: `ip -o link`, `ip -o addr`, `ip route`, and normalised
 * iptables-save. Lines of interfaces matching `ignore` (e.g. pool TAPs) are
 * left out.
 */
export interface NetworkSnapshot {
  link: string;
  addr: string;
  route: string;
  route6: string;
  iptables: string;
}

export async function networkSnapshot(runner: Runner, ignore?: RegExp): Promise<NetworkSnapshot> {
  const keep = (text: string) =>
    text
      .split('\n')
      .filter((line) => !ignore?.test(line))
      .join('\n');
  const out = async (argv: string[]) => (await runner.run(argv)).stdout;
  return {
    link: keep(await out(['ip', '-o', 'link'])),
    addr: keep(await out(['ip', '-o', 'addr'])),
    route: keep(await out(['ip', 'route'])),
    route6: keep(await out(['ip', '-6', 'route'])),
    iptables: normaliseIptablesSave(await out(['iptables-save'])),
  };
}
