// Create benchmark. By default in the test harness (a private namespace, HOME and daemon
// with the Firecracker stand-in): no-guest creates (the control plane alone) and golden-image
// creates up to SSH. Each run also reports the daemon's own step times from its log
// (daemon-log.ts): the control plane (the steps before the VMM's launch), the VMM's start,
// the guest's boot to SSH, and what `vm delete` takes. With --host, against the user's own installation instead (create-host.ts):
//   npm run bench:create -- --host --runs 3 --image NAME [--banger PATH] [--skip-ssh] [--json]
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createVmHarness,
  mustRun,
  registerGoldenImage,
  registerPlaceholderImage,
  type VmHarness,
} from '../test/support/vm-harness.js';
import { benchHost } from './create-host.js';
import {
  controlPlaneMs,
  guestReadyMs,
  type LogRecord,
  logOffset,
  medianSteps,
  stepTimes,
  VMM_STEP,
  waitForLog,
} from './daemon-log.js';
import { benchMain, median, positiveInt, progressLog, timed, usage } from './stats.js';

const OPTIONS = {
  runs: { type: 'string', default: '3' },
  json: { type: 'boolean', default: false },
  // The harness mode's.
  'no-guest-runs': { type: 'string' },
  'skip-guest': { type: 'boolean' },
  // The host mode's.
  host: { type: 'boolean', default: false },
  image: { type: 'string' },
  banger: { type: 'string' },
  'skip-ssh': { type: 'boolean' },
} as const;

type Log = (line: string) => void;

/** The p50 the daemon's steps before the VMM's launch should take (issue 15). */
const CONTROL_PLANE_TARGET_MS = 30;

function parse() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    throw usage((err as Error).message);
  }
}

async function must(h: VmHarness, args: string[]): Promise<void> {
  await mustRun(h, args);
}

const daemonLog = (h: VmHarness) => join(h.stateDir, 'bangerd.log');

/** The daemon's own figures for one run, from the log lines it wrote since `offset`. */
async function daemonTimes(h: VmHarness, offset: number, guest: boolean) {
  const logged = (rs: LogRecord[]) =>
    rs.some((r) => r.step === VMM_STEP) && (!guest || guestReadyMs(rs) !== undefined);
  const records = await waitForLog(daemonLog(h), offset, logged);
  const steps = stepTimes(records);
  const bootMs = guestReadyMs(records);
  return {
    steps,
    control_plane_ms: controlPlaneMs(steps),
    vmm_start_ms: steps[VMM_STEP] ?? null,
    ...(guest ? { guest_boot_ms: bootMs ?? null } : {}),
  };
}

/** Medians of the daemon's figures over the runs. */
function daemonMedians(runs: readonly Awaited<ReturnType<typeof daemonTimes>>[]) {
  const of = (xs: readonly (number | null | undefined)[]) =>
    median(xs.filter((x): x is number => typeof x === 'number'));
  return {
    steps: medianSteps(runs.map((r) => r.steps)),
    median_control_plane_ms: of(runs.map((r) => r.control_plane_ms)),
    median_vmm_start_ms: of(runs.map((r) => r.vmm_start_ms)),
  };
}

/** create (no wait) then the SSH wait of `vm start` on the running VM, then delete; per run. */
async function benchGuest(runs: number, log: Log) {
  const h = await createVmHarness({
    label: 'bench',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  try {
    await registerGoldenImage(h, 'golden');
    const results = [];
    for (let i = 0; i < runs; i++) {
      const name = `bench-${i}`;
      const offset = logOffset(daemonLog(h));
      const started = performance.now();
      const createMs = await timed(() =>
        must(h, ['vm', 'create', '--name', name, '--image', 'golden', '--no-wait']),
      );
      await must(h, ['vm', 'start', name]);
      const sshReadyMs = Math.round(performance.now() - started);
      const daemon = await daemonTimes(h, offset, true);
      const deleteMs = await timed(() => must(h, ['vm', 'delete', name]));
      results.push({ create_ms: createMs, ssh_ready_ms: sshReadyMs, ...daemon, delete_ms: deleteMs });
      log(
        `guest run ${i + 1}/${runs}: create ${createMs} ms (control plane ${daemon.control_plane_ms}, ` +
          `VMM start ${daemon.vmm_start_ms}), ssh ready ${sshReadyMs} ms (guest boot ${daemon.guest_boot_ms}), ` +
          `delete ${deleteMs} ms`,
      );
    }
    return results;
  } finally {
    await h.cleanup();
  }
}

async function benchNoGuest(runs: number, log: Log) {
  const h = await createVmHarness({
    label: 'benchng',
    env: { BANGER_STANDIN_NO_GUEST: '1' },
    config: ['[vm_defaults]', 'memory_mib = 256'],
  });
  try {
    await registerPlaceholderImage(h, 'fake');
    // Warm-up: the daemon start, the bridge, the SSH key and the TAP pool are not per-create costs.
    await must(h, ['vm', 'create', '--name', 'warm', '--image', 'fake', '--no-wait']);
    await must(h, ['vm', 'delete', 'warm']);
    const results = [];
    for (let i = 0; i < runs; i++) {
      const offset = logOffset(daemonLog(h));
      const createMs = await timed(() =>
        must(h, ['vm', 'create', '--name', `ng-${i}`, '--image', 'fake', '--no-wait']),
      );
      const daemon = await daemonTimes(h, offset, false);
      const deleteMs = await timed(() => must(h, ['vm', 'delete', `ng-${i}`]));
      results.push({ create_ms: createMs, ...daemon, delete_ms: deleteMs });
    }
    log(
      `no-guest: median create ${median(results.map((r) => r.create_ms))} ms, control plane ` +
        `${median(results.map((r) => r.control_plane_ms))} ms, delete ` +
        `${median(results.map((r) => r.delete_ms))} ms over ${runs} runs`,
    );
    return results;
  } finally {
    await h.cleanup();
  }
}

async function benchHarness(runs: number, noGuestRuns: number, skipGuest: boolean, log: Log): Promise<void> {
  const noGuest = await benchNoGuest(noGuestRuns, log);
  const guest = skipGuest ? [] : await benchGuest(runs, log);
  const noGuestMedian = median(noGuest.map((r) => r.create_ms));
  const guestCreate = median(guest.map((r) => r.create_ms));
  const report = {
    guest: {
      runs: guest,
      median_create_ms: guestCreate,
      median_ssh_ready_ms: median(guest.map((r) => r.ssh_ready_ms)),
      ...daemonMedians(guest),
      median_guest_boot_ms: median(guest.flatMap((r) => (r.guest_boot_ms != null ? [r.guest_boot_ms] : []))),
      median_delete_ms: median(guest.map((r) => r.delete_ms)),
    },
    no_guest: {
      runs: noGuest,
      median_create_ms: noGuestMedian,
      ...daemonMedians(noGuest),
      median_delete_ms: median(noGuest.map((r) => r.delete_ms)),
    },
    control_plane_share_of_create: guest.length ? Number((noGuestMedian / guestCreate).toFixed(3)) : null,
    // Issue 15's target for the daemon's own pre-VMM steps, against the no-guest median above.
    control_plane_target_ms: CONTROL_PLANE_TARGET_MS,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await benchMain('bench:create', async () => {
  const values = parse();
  const runs = positiveInt('runs', values.runs);
  const log = progressLog(values.json);
  if (values.host) {
    const harnessOnly = (['no-guest-runs', 'skip-guest'] as const).find((f) => values[f] !== undefined);
    if (harnessOnly) throw usage(`--${harnessOnly} is for the harness mode, not --host`);
    if (!values.image) throw usage('--host needs --image NAME (one of `banger image list`)');
    const skipSsh = values['skip-ssh'] ?? false;
    await benchHost({ runs, image: values.image, banger: values.banger, skipSsh, log });
    return;
  }
  const hostOnly = (['image', 'banger', 'skip-ssh'] as const).find((f) => values[f] !== undefined);
  if (hostOnly) throw usage(`--${hostOnly} needs --host`);
  const noGuestRuns = positiveInt('no-guest-runs', values['no-guest-runs'] ?? '10');
  await benchHarness(runs, noGuestRuns, values['skip-guest'] ?? false, log);
});
