// Create benchmark. By default in the test harness (a private namespace, HOME and daemon
// with the Firecracker stand-in): no-guest creates (the control plane alone) and golden-image
// creates up to SSH. With --host, against the user's own installation instead (create-host.ts):
//   npm run bench:create -- --host --runs 3 --image NAME [--banger PATH] [--skip-ssh] [--json]
import { parseArgs } from 'node:util';
import {
  createVmHarness,
  mustRun,
  registerGoldenImage,
  registerPlaceholderImage,
  type VmHarness,
} from '../test/support/vm-harness.js';
import { benchHost } from './create-host.js';
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
      const started = performance.now();
      const createMs = await timed(() =>
        must(h, ['vm', 'create', '--name', name, '--image', 'golden', '--no-wait']),
      );
      await must(h, ['vm', 'start', name]);
      const sshReadyMs = Math.round(performance.now() - started);
      results.push({ create_ms: createMs, ssh_ready_ms: sshReadyMs });
      log(`guest run ${i + 1}/${runs}: create ${createMs} ms, ssh ready ${sshReadyMs} ms`);
      await must(h, ['vm', 'delete', name]);
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
      const createMs = await timed(() =>
        must(h, ['vm', 'create', '--name', `ng-${i}`, '--image', 'fake', '--no-wait']),
      );
      results.push({ create_ms: createMs });
      await must(h, ['vm', 'delete', `ng-${i}`]);
    }
    log(`no-guest: median create ${median(results.map((r) => r.create_ms))} ms over ${runs} runs`);
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
    },
    no_guest: { runs: noGuest, median_create_ms: noGuestMedian },
    control_plane_share_of_create: guest.length ? Number((noGuestMedian / guestCreate).toFixed(3)) : null,
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
