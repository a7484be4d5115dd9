import { parseArgs } from 'node:util';
import {
  createVmHarness,
  mustRun,
  registerGoldenImage,
  registerPlaceholderImage,
  type VmHarness,
} from '../test/support/vm-harness.js';
import { median, progressLog } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'no-guest-runs': { type: 'string', default: '10' },
    'skip-guest': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const log = progressLog(values.json);

async function must(h: VmHarness, args: string[]): Promise<void> {
  await mustRun(h, args);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return Math.round(performance.now() - started);
}

/** create (no wait) then the SSH wait of `vm start` on the running VM, then delete; per run. */
async function benchGuest(runs: number) {
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

async function benchNoGuest(runs: number) {
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

const noGuest = await benchNoGuest(Number(values['no-guest-runs']));
const guest = values['skip-guest'] ? [] : await benchGuest(Number(values.runs));
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
