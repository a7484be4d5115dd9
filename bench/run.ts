// End-to-end `vm run --rm -- true` in the test harness (a private namespace, HOME and daemon,
// the Firecracker stand-in, the golden image, 1 vCPU and 1024 MiB), split into consecutive
// stages so the remaining overhead shows at a glance:
//   npm run bench:run -- [--runs N] [--json]
// Where each boundary comes from: the daemon's log (each step's end and length, the ready
// wait's end, the VM stopped), the VM's console log (the kernel's time stamps, banger-init's
// and systemd's lines as they appear) and the CLI's ssh child in /proc; all on the host clock.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BANGER } from '../test/support/sandbox.js';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../test/support/vm-harness.js';
import {
  controlPlaneMs,
  guestReadyMs,
  type LogRecord,
  logOffset,
  readLogSince,
  stepRecords,
  stepTimes,
  VMM_STEP,
} from './daemon-log.js';
import { type ProbeResult, startProbe } from './run-probe.js';
import { BenchError, benchMain, median, positiveInt, progressLog, timed, usage } from './stats.js';

const HELP = `usage: npm run bench:run -- [--runs N] [--json]

Times \`banger vm run --rm -- true\` end to end in the test harness (real guest under the
Firecracker stand-in, golden image, 1 vCPU, 1024 MiB) and splits each run into stages:
cli_start, control_plane, vmm_start, firmware, kernel, initramfs, rootfs_to_sshd,
sshd_to_ready, ssh_start, ssh_command, delete_stop, delete_rest. Prints per-run stages and
medians as JSON on stdout, a table of the medians on stderr. A run takes about 20 s here
(2 cores, no KVM); three runs plus the harness take about 90 s.

  --runs N   runs to time (default 3)
  --json     no progress lines on stderr
`;

const OPTIONS = {
  runs: { type: 'string', default: '3' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** The stages in order, each ending at a boundary; consecutive, so they add up to the total. */
const STAGES = [
  'cli_start', // spawn → the first create step starts (node, the CLI, its request, the daemon's checks)
  'control_plane', // → the last step before the VMM's launch ends (reserve ... network)
  'vmm_start', // → the VMM step ends (the stand-in's process, its API calls, the boot call)
  'firmware', // → the guest kernel's clock zero (the VMM and firmware before the kernel)
  'kernel', // → the kernel runs /init (its own time stamp)
  'initramfs', // → banger-init's "switching root" line
  'rootfs_to_sshd', // → systemd's "Started ssh.service" line
  'sshd_to_ready', // → the daemon's ready wait ends (its SSH probe answered)
  'ssh_start', // → the CLI's ssh process appears (the response, `vm ssh` info, spawning ssh)
  'ssh_command', // → ssh is gone (connect, `true`, close)
  'delete_stop', // → the daemon logs the VM stopped (the delete request, the guest's clean shutdown)
  'delete_rest', // → the CLI exits (the VM's files, the response, the CLI's exit)
] as const;
type Stage = (typeof STAGES)[number];

const KERNEL_TS = /^\[\s*(\d+\.\d+)\]/;
const RUN_INIT = /Run \S+ as init process/;
const INIT_UPTIME = /^banger-init: \[(\d+\.\d+)\]/;
const SWITCH_ROOT = /^banger-init: switching root/;
const SSHD_STARTED = /Started .*ssh\.service/;

/** The kernel's hand-over to /init, in ms of its clock: its "Run /init" time stamp, else banger-init's first uptime. */
function kernelHandover(lines: ProbeResult['console']): number | undefined {
  for (const l of lines) {
    const ts = KERNEL_TS.exec(l.text);
    if (ts && RUN_INIT.test(l.text)) return Number(ts[1]) * 1000;
  }
  for (const l of lines) {
    const up = INIT_UPTIME.exec(l.text);
    if (up) return Number(up[1]) * 1000;
  }
  return undefined;
}

/** When the kernel's clock read zero, in wall time: a line's arrival less its time stamp, the least delayed one. */
function kernelZero(lines: ProbeResult['console']): number | undefined {
  const zeros = lines.flatMap((l) => {
    const ts = KERNEL_TS.exec(l.text) ?? INIT_UPTIME.exec(l.text);
    return ts ? [l.at - Number(ts[1]) * 1000] : [];
  });
  return zeros.length ? Math.min(...zeros) : undefined;
}

const arrival = (lines: ProbeResult['console'], re: RegExp) => lines.find((l) => re.test(l.text))?.at;

interface RunTimes {
  start: number;
  exit: number;
  records: LogRecord[];
  probe: ProbeResult;
  status: number;
  stderr: string;
}

/** One `vm run --rm -- true`, with its stderr lines' arrival, the daemon's log and the probe. */
async function oneRun(h: VmHarness, name: string): Promise<RunTimes> {
  const logPath = join(h.stateDir, 'bangerd.log');
  const offset = logOffset(logPath);
  let child: ChildProcess | undefined;
  const probe = startProbe(h.vmsDir, () => child?.pid);
  const start = Date.now();
  child = spawn(
    'ip',
    [
      'netns',
      'exec',
      h.netns.name,
      process.execPath,
      BANGER,
      'vm',
      'run',
      '--rm',
      '--image',
      'golden',
      '--name',
      name,
      '--',
      'true',
    ],
    { env: h.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const status = await new Promise<number>((resolve, reject) => {
    child?.on('error', reject);
    child?.on('close', (code) => resolve(code ?? -1));
  });
  const exit = Date.now();
  await new Promise((r) => setTimeout(r, 50)); // pino's last lines
  return { start, exit, records: readLogSince(logPath, offset), probe: probe.stop(), status, stderr };
}

/**
 * One run's stages from its boundaries (wall times). A boundary not seen (a line the image does
 * not print) leaves its stage out and its time goes to the next stage, so the stages still add up.
 */
function stagesOf(t: RunTimes) {
  const steps = stepRecords(t.records);
  const vmm = steps.find((r) => r.step === VMM_STEP);
  const first = steps[0];
  const zero = kernelZero(t.probe.console);
  const handover = kernelHandover(t.probe.console);
  const logged = (msg: string) => t.records.find((r) => r.msg === msg)?.time;
  const ends: Record<Stage, number | undefined> = {
    cli_start: first ? first.time - (first.ms as number) : undefined,
    control_plane: steps.filter((r) => r !== vmm).at(-1)?.time,
    vmm_start: vmm?.time,
    firmware: zero,
    kernel: zero !== undefined && handover !== undefined ? zero + handover : undefined,
    initramfs: arrival(t.probe.console, SWITCH_ROOT),
    rootfs_to_sshd: arrival(t.probe.console, SSHD_STARTED),
    sshd_to_ready: logged('guest ready'),
    ssh_start: t.probe.ssh?.start,
    ssh_command: t.probe.ssh?.end,
    delete_stop: logged('vm stopped'),
    delete_rest: t.exit,
  };
  const stages: Partial<Record<Stage, number>> = {};
  let last = t.start;
  for (const stage of STAGES) {
    const end = ends[stage];
    if (end === undefined) continue;
    stages[stage] = Math.round(end - last);
    last = end;
  }
  const createSteps = stepTimes(t.records);
  return {
    total_ms: t.exit - t.start,
    stages,
    sum_of_stages_ms: Object.values(stages).reduce((sum, x) => sum + x, 0),
    missing_boundaries: STAGES.filter((s) => ends[s] === undefined),
    create_steps: createSteps,
    control_plane_steps_ms: controlPlaneMs(createSteps),
    guest_ready_wait_ms: guestReadyMs(t.records) ?? null,
  };
}

/** A warm-up create and delete: the daemon's start, the bridge and the TAP pool are not per-run costs. */
async function warmUp(h: VmHarness): Promise<void> {
  await mustRun(h, ['vm', 'create', '--name', 'warm', '--image', 'golden', '--no-wait']);
  await mustRun(h, ['vm', 'delete', 'warm']);
}

async function bench(runs: number, log: (line: string) => void) {
  const h = await createVmHarness({
    label: 'benchrun',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  try {
    await registerGoldenImage(h, 'golden');
    await warmUp(h);
    const results = [];
    for (let i = 0; i < runs; i++) {
      const versionMs = await timed(() => mustRun(h, ['--version']));
      const t = await oneRun(h, `run-${i}`);
      if (t.status !== 0) throw new BenchError(`vm run exited ${t.status}: ${t.stderr.trim()}`);
      const r = { baseline_version_ms: versionMs, ...stagesOf(t) };
      results.push(r);
      const parts = STAGES.map((s) => `${s} ${r.stages[s] ?? '?'}`).join(', ');
      log(`run ${i + 1}/${runs}: ${r.total_ms} ms = ${parts} (--version ${versionMs} ms)`);
    }
    return results;
  } finally {
    await h.cleanup();
  }
}

function report(results: Awaited<ReturnType<typeof bench>>) {
  const med = (xs: (number | null | undefined)[]) =>
    median(xs.filter((x): x is number => typeof x === 'number'));
  const stages: Partial<Record<Stage, number>> = {};
  for (const s of STAGES) stages[s] = med(results.map((r) => r.stages[s]));
  const steps = [...new Set(results.flatMap((r) => Object.keys(r.create_steps)))];
  return {
    runs: results,
    median_total_ms: med(results.map((r) => r.total_ms)),
    median_stages: stages,
    median_sum_of_stages_ms: Object.values(stages).reduce((s, x) => s + x, 0),
    median_create_steps: Object.fromEntries(
      steps.map((n) => [n, med(results.map((r) => r.create_steps[n]))]),
    ),
    median_baseline_version_ms: med(results.map((r) => r.baseline_version_ms)),
  };
}

await benchMain('bench:run', async () => {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const runs = positiveInt('runs', values.runs);
  const log = progressLog(values.json);
  const out = report(await bench(runs, log));
  const table = STAGES.map((s) => `  ${s.padEnd(18)} ${String(out.median_stages[s]).padStart(6)} ms`);
  log(
    [
      'median stages:',
      ...table,
      `  ${'total'.padEnd(18)} ${String(out.median_total_ms).padStart(6)} ms`,
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
});
