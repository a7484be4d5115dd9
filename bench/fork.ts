// Fork benchmark (issue 16): in one run, in the test harness (a private namespace, HOME and
// daemon with the Firecracker stand-in, the golden image, 1 vCPU, 1024 MiB), a cold
// `vm create` to SSH against `vm fork` to SSH of the same image, from a running VM and from a
// snapshot, interleaved; and `vm run -- true` without a warm pool against one taken from it
// (when the daemon has `warm_pool_size`). See FORK_HELP (fork-report.ts) for the details:
//   npm run bench:fork -- [--runs N] [--pool-timeout S] [--json]
// With BANGER_E2E_FIRECRACKER=/path/to/firecracker on a KVM host it runs against real Firecracker.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../test/support/vm-harness.js';
import { logOffset, readLogSince, waitForLog } from './daemon-log.js';
import {
  bootedCold,
  FORK_HELP,
  type ForkBenchResults,
  type ForkRun,
  forkReport,
  forkStages,
  forkTable,
  type PathRun,
  type PoolResult,
  type PoolRun,
  parseForkArgs,
  poolReadyLines,
  poolRefusal,
  poolTrouble,
  type RunRun,
} from './fork-report.js';
import { BenchError, benchMain, progressLog, timed } from './stats.js';

type Log = (line: string) => void;

/** Set by SIGINT/SIGTERM: the harness is torn down at once (which fails the call in flight). */
let interrupted = false;

const daemonLog = (h: VmHarness) => join(h.stateDir, 'bangerd.log');
const configFile = (h: VmHarness) => join(h.home, '.config', 'banger', 'config.toml');

async function must(h: VmHarness, args: string[], timeoutMs = 300_000): Promise<string> {
  if (interrupted) throw new BenchError('interrupted', 130);
  return (await mustRun(h, args, timeoutMs)).stdout;
}

/** Kill (no clean shutdown: that is the guest's time, not banger's) then delete. */
async function teardown(h: VmHarness, name: string): Promise<number> {
  return timed(async () => {
    await must(h, ['vm', 'kill', name]);
    await must(h, ['vm', 'delete', name]);
  });
}

/** `vm ssh NAME -- true`. */
const sshTrue = (h: VmHarness, name: string) => timed(() => must(h, ['vm', 'ssh', name, '--', 'true']));

async function coldRun(h: VmHarness, name: string): Promise<PathRun> {
  const ms = await timed(() => must(h, ['vm', 'create', '--name', name, '--image', 'golden']));
  const ssh = await sshTrue(h, name);
  return { ms, ssh_true_ms: ssh, teardown_ms: await teardown(h, name) };
}

async function forkRun(h: VmHarness, source: string, name: string): Promise<ForkRun> {
  const offset = logOffset(daemonLog(h));
  const ms = await timed(() => must(h, ['vm', 'fork', source, '--name', name]));
  const records = await waitForLog(daemonLog(h), offset, (rs) => forkStages(rs).guest_ready_ms !== null);
  const ssh = await sshTrue(h, name);
  return { ms, ssh_true_ms: ssh, teardown_ms: await teardown(h, name), stages: forkStages(records) };
}

/** `vm run --name NAME -- true` (the default image: golden; it ran `true` over SSH already). */
async function runRun(h: VmHarness, name: string): Promise<RunRun> {
  const ms = await timed(() => must(h, ['vm', 'run', '--name', name, '--', 'true']));
  return { ms, teardown_ms: await teardown(h, name) };
}

/** The pool's VMs: what `vm list --all --json` shows beyond `vm list --json`, running. */
async function pooledVms(h: VmHarness): Promise<number> {
  const list = async (args: string[]) => {
    const r = await h.banger(['vm', 'list', ...args, '--json']);
    if (r.status !== 0) {
      const why = r.stderr.trim().split('\n').at(-1) ?? '';
      throw new BenchError(
        `cannot see the pool: banger vm list ${args.join(' ')} --json exited ${r.status}: ${why}`,
      );
    }
    return JSON.parse(r.stdout) as { id: string; state: string }[];
  };
  const listed = new Set((await list([])).map((v) => v.id));
  return (await list(['--all'])).filter((v) => !listed.has(v.id) && v.state === 'running').length;
}

/**
 * Waits until the pool holds `size` running VMs and the daemon has logged `ready` pool VMs
 * since `offset` (the pool's own VM, booted to be snapshotted, runs for a while too, but is not
 * one of them). Returns the time waited.
 */
async function waitForPool(h: VmHarness, size: number, ready: number, offset: number, timeoutMs: number) {
  const started = performance.now();
  for (;;) {
    if (interrupted) throw new BenchError('interrupted', 130);
    const logged = poolReadyLines(readLogSince(daemonLog(h), offset));
    if (logged >= ready && (await pooledVms(h)) >= size) return Math.round(performance.now() - started);
    if (performance.now() - started > timeoutMs) {
      const why = poolTrouble(readLogSince(daemonLog(h), offset));
      throw new BenchError(
        `the pool did not fill within ${Math.round(timeoutMs / 1000)} s${why ? ` (the daemon: ${why})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The daemon restarted with `warm_pool_size = 1`: `vm run -- true` taking the pooled VM, the
 * refill awaited between runs. The reason instead when the daemon refuses the key (no pool in
 * this build) or the pool cannot be seen to fill.
 */
async function benchPool(
  h: VmHarness,
  runs: number,
  timeoutMs: number,
  log: Log,
): Promise<PoolResult | { reason: string }> {
  const size = 1;
  await must(h, ['daemon', 'stop']);
  const config = readFileSync(configFile(h), 'utf8');
  writeFileSync(configFile(h), `warm_pool_size = ${size}\n${config}`);
  const restarted = logOffset(daemonLog(h));
  const first = await h.banger(['vm', 'list', '--json']);
  if (first.status !== 0) {
    const refused = poolRefusal(first.stderr);
    if (refused) return { reason: `this daemon has no warm pool: ${refused}` };
    throw new BenchError(`the daemon did not start with warm_pool_size = ${size}: ${first.stderr.trim()}`);
  }
  try {
    log(`pool: daemon restarted with warm_pool_size = ${size}, waiting for it to fill`);
    const fillMs = await waitForPool(h, size, size, restarted, timeoutMs);
    const results: PoolRun[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `w${i}`;
      const offset = logOffset(daemonLog(h));
      const ms = await timed(() => must(h, ['vm', 'run', '--name', name, '--', 'true']));
      const tookPoolVm = !bootedCold(readLogSince(daemonLog(h), offset));
      const teardownMs = await teardown(h, name);
      let refillMs: number | null = null;
      if (i < runs - 1 || runs === 1) refillMs = await waitForPool(h, size, 1, offset, timeoutMs);
      results.push({ ms, took_pool_vm: tookPoolVm, refill_ms: refillMs, teardown_ms: teardownMs });
      log(
        `pool run ${i + 1}/${runs}: vm run -- true ${ms} ms (${tookPoolVm ? 'pooled VM' : 'booted cold!'}), ` +
          `refill ${refillMs ?? '-'} ms`,
      );
    }
    return { warm_pool_size: size, fill_ms: fillMs, runs: results };
  } catch (err) {
    if (err instanceof BenchError && err.exitCode === 1) return { reason: err.message };
    throw err;
  }
}

async function bench(runs: number, poolTimeoutMs: number, log: Log): Promise<ForkBenchResults> {
  // firecrackerBin() announces a real Firecracker on stdout, which is this program's JSON.
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => process.stderr.write(`${args.join(' ')}\n`);
  let h: VmHarness;
  try {
    h = await createVmHarness({
      label: 'benchfork',
      config: ['default_image_name = "golden"', '[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
    });
  } catch (err) {
    throw new BenchError((err as Error).message);
  } finally {
    console.log = consoleLog;
  }
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('interrupted: removing the harness (its daemon and VMs)\n');
    void h.cleanup();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await registerGoldenImage(h, 'golden');
    // The source of every fork; its boot is also the warm-up (daemon, bridge, TAP pool, page cache).
    const sourceBootMs = await timed(() => must(h, ['vm', 'create', '--name', 'src', '--image', 'golden']));
    const snapshotMs = await timed(() => must(h, ['vm', 'snapshot', 'src', '--name', 'base']));
    log(`source booted in ${sourceBootMs} ms, snapshot "base" taken in ${snapshotMs} ms`);
    const cold: PathRun[] = [];
    const forkVm: ForkRun[] = [];
    const forkSnap: ForkRun[] = [];
    const runCold: RunRun[] = [];
    for (let i = 0; i < runs; i++) {
      const c = await coldRun(h, `c${i}`);
      const f = await forkRun(h, 'src', `f${i}`);
      const g = await forkRun(h, 'base', `g${i}`);
      const r = await runRun(h, `r${i}`);
      cold.push(c);
      forkVm.push(f);
      forkSnap.push(g);
      runCold.push(r);
      log(
        `run ${i + 1}/${runs}: create→SSH ${c.ms} ms | fork VM→SSH ${f.ms} ms (capture ${f.stages.capture_ms}, ` +
          `steps ${f.stages.fork_steps_ms}, ready ${f.stages.guest_ready_ms}) | fork snapshot→SSH ${g.ms} ms ` +
          `(steps ${g.stages.fork_steps_ms}, ready ${g.stages.guest_ready_ms}) | vm run -- true ${r.ms} ms | ` +
          `then ssh -- true ${c.ssh_true_ms}/${f.ssh_true_ms}/${g.ssh_true_ms} ms`,
      );
    }
    // The pool's VMs are of the default image and sizing: the source and its snapshot are not needed.
    await teardown(h, 'src');
    await must(h, ['vm', 'snapshot', 'delete', 'base']);
    const pool = await benchPool(h, runs, poolTimeoutMs, log);
    if ('reason' in pool) log(`pool: ${pool.reason}`);
    return {
      source_boot_ms: sourceBootMs,
      snapshot_ms: snapshotMs,
      cold,
      fork_vm: forkVm,
      fork_snap: forkSnap,
      run_cold: runCold,
      pool,
    };
  } catch (err) {
    if (interrupted) throw new BenchError('interrupted', 130);
    throw err;
  } finally {
    await h.cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

await benchMain('bench:fork', async () => {
  const args = parseForkArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(FORK_HELP);
    return;
  }
  const log = progressLog(args.json);
  const report = forkReport(await bench(args.runs, args.poolTimeoutMs, log));
  log(forkTable(report));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
});
