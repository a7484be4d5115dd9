// Scale (issue 15, point 5): a daemon with 100 no-guest VMs against a daemon with one. Two
// private daemons (each its own namespace, HOME and DNS server) run side by side, one growing
// to 100 VMs, and are measured interleaved so both see the same machine load, the 100 VMs'
// processes included: `vm list --json` (the CLI's wall time, and the list route alone over the
// socket), DNS answer times for `<vm>.vm` A queries (a UDP client run inside each namespace)
// and that every name resolves to its VM's address, and the daemons' RSS. Progress on stderr,
// JSON on stdout.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { BangerClient } from '../src/api/client.js';
import type { DaemonStatus } from '../src/api/schemas.js';
import type { VmView } from '../src/api/vms.js';
import { readProcRssBytes, readProcStat, USER_HZ } from '../src/host/proc.js';
import { UdpClient } from '../test/dns/client.js';
import { query } from '../test/dns/packets.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../test/support/vm-harness.js';
import { benchMain, median, positiveInt, progressLog, timed, usage } from './stats.js';

const execFileAsync = promisify(execFile);

const OPTIONS = {
  vms: { type: 'string', default: '100' },
  runs: { type: 'string', default: '15' },
  batch: { type: 'string', default: '10' },
  'dns-queries': { type: 'string', default: '400' },
  json: { type: 'boolean', default: false },
  // Internal: this script run again inside a namespace as the DNS client.
  'dns-child': { type: 'string' },
  names: { type: 'string', default: '' },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
}

interface DnsProbe {
  /** Round-trip time of each query, ms. */
  samples: number[];
  /** The A record each name got (null: none). */
  answers: Record<string, string | null>;
}

/** The DNS client (inside the namespace): `queries` A queries cycling through `names`, one at a time. */
async function dnsChild(server: string, names: string[], queries: number): Promise<DnsProbe> {
  const [host = '127.0.0.1', port = '53'] = server.split(':');
  const client = await UdpClient.open(host, Number(port));
  const warmUp = 20;
  const samples: number[] = [];
  const answers: Record<string, string | null> = {};
  try {
    for (let i = 0; i < warmUp + queries; i++) {
      const name = names[i % names.length] ?? '';
      const packet = query(`${name}.vm`, 'A', { id: i & 0xffff });
      const started = performance.now();
      const { packet: answer } = await client.ask(packet);
      const ms = performance.now() - started;
      if (i >= warmUp) samples.push(ms);
      const a = answer.answers?.find((r) => r.type === 'A');
      answers[name] = a?.type === 'A' ? a.data : null;
    }
  } finally {
    await client.close();
  }
  return { samples, answers };
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const vmName = (i: number) => `s${i}`;
const script = process.argv[1] ?? '';

/** Wall time of `fn` in fractional milliseconds (stats.ts's `timed` rounds to whole ones: too coarse for the route). */
async function elapsedMs(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

function daemonPid(h: VmHarness): number {
  return Number(readFileSync(join(h.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.pid'), 'utf8').trim());
}

/** The daemon's resident set, in KiB (VmRSS). */
function daemonRssKib(h: VmHarness): number {
  const bytes = readProcRssBytes(daemonPid(h));
  if (bytes === undefined) throw new Error('the daemon is not running');
  return bytes / 1024;
}

/** CPU the daemon has used so far (user + system), in seconds. */
function daemonCpuSeconds(h: VmHarness): number {
  const stat = readProcStat(daemonPid(h));
  if (stat === undefined) throw new Error('the daemon is not running');
  return (stat.utimeTicks + stat.stimeTicks) / USER_HZ;
}

/** Each daemon's CPU use while nobody asks it anything, in % of one CPU, over the same window. */
async function idleCpuPercent(hs: VmHarness[], ms: number): Promise<number[]> {
  const before = hs.map(daemonCpuSeconds);
  await new Promise((r) => setTimeout(r, ms));
  return hs.map((h, i) => round(((daemonCpuSeconds(h) - (before[i] ?? 0)) / (ms / 1000)) * 100, 2));
}

/** Median of five RSS readings 200 ms apart, after a second of quiet. */
async function settledRssKib(h: VmHarness): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(daemonRssKib(h));
    await new Promise((r) => setTimeout(r, 200));
  }
  return median(samples);
}

async function dnsProbe(h: VmHarness, server: string, names: string[], queries: number): Promise<DnsProbe> {
  const { stdout } = await execFileAsync(
    'ip',
    [
      'netns',
      'exec',
      h.netns.name,
      process.execPath,
      script,
      '--dns-child',
      server,
      '--names',
      names.join(','),
      '--dns-queries',
      String(queries),
    ],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as DnsProbe;
}

/** One private daemon (its own namespace, HOME and DNS server) and the VMs it holds. */
interface Side {
  h: VmHarness;
  client: BangerClient;
  dns: string;
  names: string[];
}

const create = (h: VmHarness, i: number) =>
  mustRun(h, ['vm', 'create', '--name', vmName(i), '--image', 'test-image', '--no-wait']);

/** A daemon with one VM; the first create also brings up what later ones share (bridge, SSH key, TAP pool). */
async function setUp(label: string): Promise<Side> {
  const h = await createNoGuestHarness(label);
  await create(h, 0);
  const status = json<DaemonStatus>(await mustRun(h, ['daemon', 'status', '--json']));
  const dns = status.dnsListenAddr.split(',')[0]?.trim() ?? '';
  const client = new BangerClient(join(h.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.sock'));
  return { h, client, dns, names: [vmName(0)] };
}

/** `vm list --json` through the CLI (checking it lists every VM), ms. */
async function cliList(side: Side): Promise<number> {
  let out = '';
  const ms = await timed(async () => {
    out = (await mustRun(side.h, ['vm', 'list', '--json'])).stdout;
  });
  const listed = json<VmView[]>({ status: 0, stdout: out, stderr: '' });
  if (listed.length !== side.names.length) {
    throw new Error(`vm list shows ${listed.length} VMs, not ${side.names.length}`);
  }
  return ms;
}

/** The warm-up both daemons get before their RSS is read: the list route, the CLI and the DNS path. */
async function warmUp(side: Side): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await cliList(side);
    await side.client.listVms();
  }
  await dnsProbe(side.h, side.dns, side.names, 50);
}

interface Samples {
  cli_list_ms: number[];
  route_list_ms: number[];
  dns_ms: number[];
}

function summary(s: Samples) {
  const sorted = [...s.dns_ms].sort((a, b) => a - b);
  return {
    median_cli_list_ms: Math.round(median(s.cli_list_ms)),
    median_route_list_ms: round(median(s.route_list_ms), 2),
    median_dns_ms: round(median(s.dns_ms), 3),
    p90_dns_ms: round(sorted[Math.floor(sorted.length * 0.9)] ?? 0, 3),
  };
}

const mib = (kib: number) => round(kib / 1024, 1);

interface Settings {
  total: number;
  runs: number;
  batch: number;
  dnsQueries: number;
  log: (line: string) => void;
}

async function benchScale({ total, runs, batch, dnsQueries, log }: Settings): Promise<void> {
  const sides: Side[] = [];
  try {
    // Two daemons side by side: `one` keeps one VM, `many` grows to `total`. Measuring them
    // interleaved puts both under the same machine load (the other VMs' processes included),
    // which one daemon measured before and after scaling could not.
    const one = await setUp('scale1');
    sides.push(one);
    const many = await setUp('scale100');
    sides.push(many);
    await warmUp(one);
    await warmUp(many);
    const rssBefore = { one: await settledRssKib(one.h), many: await settledRssKib(many.h) };
    log(`two daemons with one VM each; daemon RSS ${mib(rssBefore.one)} / ${mib(rssBefore.many)} MiB`);

    const createStarted = performance.now();
    for (let next = 1; next < total; next += batch) {
      const ids = Array.from({ length: Math.min(batch, total - next) }, (_, k) => next + k);
      await Promise.all(ids.map((i) => create(many.h, i)));
      log(`created ${next + ids.length}/${total}`);
    }
    const createMs = performance.now() - createStarted;
    many.names = Array.from({ length: total }, (_, i) => vmName(i));
    await warmUp(many);

    const samples = new Map<Side, Samples>(
      sides.map((s) => [s, { cli_list_ms: [], route_list_ms: [], dns_ms: [] }]),
    );
    const node: number[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? [one, many] : [many, one];
      for (const side of order) samples.get(side)?.cli_list_ms.push(await cliList(side));
      for (const side of order)
        samples.get(side)?.route_list_ms.push(await elapsedMs(() => side.client.listVms()));
      // The machine's load at this moment: a bare Node start in the same way the CLI is started.
      node.push(
        await timed(() =>
          execFileAsync('ip', ['netns', 'exec', one.h.netns.name, process.execPath, '-e', '0']),
        ),
      );
      log(`list run ${i + 1}/${runs}`);
    }
    const rounds = 5;
    const answers: Record<string, string | null> = {};
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [one, many] : [many, one];
      for (const side of order) {
        const probe = await dnsProbe(side.h, side.dns, side.names, Math.ceil(dnsQueries / rounds));
        samples.get(side)?.dns_ms.push(...probe.samples);
        if (side === many) Object.assign(answers, probe.answers);
      }
    }
    log('DNS measured');
    const rssAfter = { one: await settledRssKib(one.h), many: await settledRssKib(many.h) };
    const [idleOne = 0, idleMany = 0] = await idleCpuPercent([one.h, many.h], 10_000);
    log(`idle daemon CPU: ${idleOne}% with 1 VM, ${idleMany}% with ${total}`);

    const listed = json<VmView[]>(await mustRun(many.h, ['vm', 'list', '--json']));
    const ipOf = new Map(listed.map((v) => [v.name, v.guestIp]));
    const wrong = many.names.filter((n) => answers[n] !== ipOf.get(n));
    const listBytes = Buffer.byteLength(JSON.stringify(listed, null, 2));

    const deleteMs = await timed(() => mustRun(many.h, ['vm', 'delete', ...many.names]));
    const left = json<VmView[]>(await mustRun(many.h, ['vm', 'list', '--json'])).length;
    const rssAfterDelete = await settledRssKib(many.h);
    log(`deleted ${total} VMs in ${Math.round(deleteMs)} ms; ${left} left`);

    const a = summary(samples.get(one)!);
    const b = summary(samples.get(many)!);
    // Per VM: the growing daemon against itself with one VM, and against its twin that kept one.
    const perVmSelf = (rssAfter.many - rssBefore.many) / (total - 1);
    const perVmTwin = (rssAfter.many - rssAfter.one) / (total - 1);
    const report = {
      vms: total,
      runs,
      dns_queries_per_daemon: samples.get(one)!.dns_ms.length,
      median_node_e0_ms: Math.round(median(node)),
      one_vm: a,
      many_vms: { ...b, list_json_bytes: listBytes },
      ratios: {
        cli_list_many_vs_one: round(b.median_cli_list_ms / a.median_cli_list_ms, 2),
        route_list_many_vs_one: round(b.median_route_list_ms / a.median_route_list_ms, 2),
        dns_many_vs_one: round(b.median_dns_ms / a.median_dns_ms, 2),
      },
      daemon_rss_mib: {
        one_vm_daemon: { before: mib(rssBefore.one), after: mib(rssAfter.one) },
        many_vm_daemon: {
          with_one_vm: mib(rssBefore.many),
          with_all_vms: mib(rssAfter.many),
          after_delete: mib(rssAfterDelete),
        },
      },
      idle_daemon_cpu_percent: { one_vm: idleOne, many_vms: idleMany },
      rss_per_vm_kib: { vs_itself_with_one: Math.round(perVmSelf), vs_twin_with_one: Math.round(perVmTwin) },
      dns_names_resolved: many.names.length - wrong.length,
      dns_names_wrong: wrong,
      create: { total_ms: Math.round(createMs), per_vm_ms: Math.round(createMs / (total - 1)), batch },
      delete: { total_ms: Math.round(deleteMs), per_vm_ms: round(deleteMs / total), vms_left: left },
      targets: {
        rss_per_vm_below_1_mib: Math.max(perVmSelf, perVmTwin) < 1024,
        cli_list_within_1_2x: b.median_cli_list_ms / a.median_cli_list_ms <= 1.2,
        dns_median_within_1_2x: b.median_dns_ms / a.median_dns_ms <= 1.2,
        dns_all_names_resolve: wrong.length === 0,
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    for (const side of sides) await side.h.cleanup();
  }
}

await benchMain('bench:scale', async () => {
  const values = parse();
  if (values['dns-child'] !== undefined) {
    const names = values.names.split(',').filter(Boolean);
    const probe = await dnsChild(
      values['dns-child'],
      names,
      positiveInt('dns-queries', values['dns-queries']),
    );
    process.stdout.write(JSON.stringify(probe));
    return;
  }
  const total = positiveInt('vms', values.vms);
  // One VM is the baseline; the network's /24 holds 253 addresses.
  if (total < 2 || total > 250) throw usage(`--vms must be from 2 to 250, got ${total}`);
  await benchScale({
    total,
    runs: positiveInt('runs', values.runs),
    batch: positiveInt('batch', values.batch),
    dnsQueries: positiveInt('dns-queries', values['dns-queries']),
    log: progressLog(values.json),
  });
});
