// Golden guest boot: how long userspace takes to get sshd accepting, against
// the kernel's own boot time in the same boot, from the guest's clock (so the
// ratio holds on a loaded or emulated machine). Boots the golden image through
// the stand-in `--boots` times (a stop/start of one VM) and prints JSON.
// `--try 'shell'` runs that in the guest after the first boot and before the
// next: a way to measure a boot change without rebuilding the image.
import { parseArgs } from 'node:util';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../test/support/vm-harness.js';
import { median, progressLog } from './stats.js';

const { values } = parseArgs({
  options: {
    boots: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    try: { type: 'string' },
  },
});

const log = progressLog(values.json);

/**
 * From systemd's own monotonic timestamps (microseconds since the kernel
 * started): userspace starts when banger's initramfs hands over to systemd
 * (so "kernel" here includes banger's init, a few hundred ms), and sshd
 * accepts once ssh.service is active (Type=notify: sshd says when it listens).
 */
const PROBE = [
  // sshd now accepts before the boot finishes: wait for it, so FinishTimestamp and
  // critical-chain are filled in (the timestamps do not depend on when they are read).
  'state=$(systemctl is-system-running --wait)',
  'systemctl show -P UserspaceTimestampMonotonic',
  'systemctl show -P ActiveEnterTimestampMonotonic ssh.service',
  'systemctl show -P FinishTimestampMonotonic',
  'echo "$state"',
].join('; ');

interface Boot {
  kernel_ms: number;
  userspace_to_sshd_ms: number;
  ratio: number;
  userspace_to_finished_ms: number;
  /** `systemctl is-system-running` once the boot is done: running, or degraded when a unit failed. */
  system_state: string;
}

async function measure(h: VmHarness, vm: string): Promise<Boot> {
  const out = (await mustRun(h, ['vm', 'ssh', vm, '--', 'sh', '-c', PROBE])).stdout.trim().split('\n');
  const state = out.pop() ?? '';
  const [userspace, sshd, finished] = out.map((v) => Number(v) / 1000);
  if (!userspace || !sshd) throw new Error(`unexpected probe output: ${out.join(' | ')}`);
  return {
    kernel_ms: Math.round(userspace),
    userspace_to_sshd_ms: Math.round(sshd - userspace),
    ratio: Number(((sshd - userspace) / userspace).toFixed(2)),
    userspace_to_finished_ms: finished ? Math.round(finished - userspace) : 0,
    system_state: state,
  };
}

const h = await createVmHarness({
  label: 'bootbench',
  config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
});
try {
  await registerGoldenImage(h, 'golden');
  await mustRun(h, ['vm', 'create', '--name', 'boot', '--image', 'golden'], 300_000);
  const boots: Boot[] = [];
  let chain = '';
  for (let i = 0; i < Number(values.boots); i++) {
    // The first boot also makes the VM's host key; later boots are what a user sees on `vm start`.
    if (i > 0) {
      if (i === 1 && values.try) {
        await mustRun(h, ['vm', 'ssh', 'boot', '--', 'sh', '-ec', `${values.try}; systemctl daemon-reload`]);
      }
      await mustRun(h, ['vm', 'stop', 'boot'], 120_000);
      await mustRun(h, ['vm', 'start', 'boot'], 300_000);
    }
    const boot = await measure(h, 'boot');
    boots.push(boot);
    log(
      `boot ${i + 1}: kernel ${boot.kernel_ms} ms, userspace to sshd ${boot.userspace_to_sshd_ms} ms (${boot.ratio}x)`,
    );
    if (i === Number(values.boots) - 1) {
      chain = (
        await mustRun(h, ['vm', 'ssh', 'boot', '--', 'systemd-analyze', 'critical-chain', 'ssh.service'])
      ).stdout;
    }
  }
  log(chain);
  const report = {
    boots,
    median_kernel_ms: median(boots.map((b) => b.kernel_ms)),
    median_userspace_to_sshd_ms: median(boots.map((b) => b.userspace_to_sshd_ms)),
    median_ratio: median(boots.map((b) => b.ratio)),
    target_ratio: 1.0,
    critical_chain: chain.split('\n').filter(Boolean),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await h.cleanup();
}
