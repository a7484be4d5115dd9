// VM create benchmark (the seeds' bench-create): `banger vm create` timed end
// to end through the real CLI and daemon, inside a private network namespace.
// Not a test: it prints numbers.
//
//   guest mode:    the golden image booted through the Firecracker stand-in;
//                  create_ms = until Firecracker runs the guest (--no-wait),
//                  ssh_ready_ms = until the guest's SSH answers (the next `vm start`-style wait).
//   no-guest mode: the same create with the stand-in's --no-guest mode (no QEMU):
//                  the daemon's own cost (disks, TAP, API calls, records).
//   ratio:         guest create / no-guest create, so the control plane's share is visible.
//
// Run as root (network namespaces): npm run bench:create -- [--runs N] [--no-guest-runs N] [--skip-guest] [--json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { goldenImage } from '../test/support/golden-image.js';
import { createVmHarness, type VmHarness } from '../test/support/vm-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'no-guest-runs': { type: 'string', default: '10' },
    'skip-guest': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const log = (line: string) => {
  if (!values.json) process.stderr.write(`${line}\n`);
};

async function must(h: VmHarness, args: string[]): Promise<void> {
  const r = await h.banger(args, { timeoutMs: 600_000 });
  if (r.status !== 0) throw new Error(`banger ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return Math.round(performance.now() - started);
}

/** create (no wait) then the SSH wait of `vm start` on the running VM, then delete; per run. */
async function benchGuest(runs: number) {
  const golden = await goldenImage();
  const h = await createVmHarness({
    label: 'bench',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  try {
    await must(h, [
      'image',
      'register',
      'golden',
      '--rootfs',
      golden.rootfs,
      '--work-seed',
      golden.workSeed,
      '--kernel',
      join(golden.kernelDir, 'vmlinux'),
      '--initrd',
      join(golden.kernelDir, 'initrd.img'),
    ]);
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
    const art = join(h.root, 'artifacts');
    mkdirSync(art);
    execFileSync('mkfs.ext4', ['-q', '-F', join(art, 'rootfs.ext4'), '64M']);
    writeFileSync(join(art, 'vmlinux'), 'not a kernel');
    writeFileSync(join(art, 'initrd.img'), 'not an initrd');
    await must(h, [
      'image',
      'register',
      'fake',
      '--rootfs',
      join(art, 'rootfs.ext4'),
      '--kernel',
      join(art, 'vmlinux'),
      '--initrd',
      join(art, 'initrd.img'),
    ]);
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
