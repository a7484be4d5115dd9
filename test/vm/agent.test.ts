// banger's guest agent on real guests through the stand-in, where it is
// reached over the stand-in's serial vsock emulation (tools/README.md):
// `vm show` reports it answering on the golden image (systemd, glibc) and on
// a busybox image (no systemd, no libc), also with the guest's network down;
// the still-running reminder after `vm ssh` depends on the VM still running.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { layerOf, writeLayout } from '../oci/helpers/layout.js';
import { pushLayout, startRegistry } from '../oci/helpers/registry.js';
import { BUSYBOX_INITTAB, registerBusyboxImage } from '../support/busybox-image.js';
import { goldenImage } from '../support/golden-image.js';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

let h: VmHarness;

beforeAll(async () => {
  h = await createVmHarness({
    label: 'agent',
    config: ['stats_poll_interval = "1s"', '[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const show = async (name: string) => json<VmView>(await ok(['vm', 'show', name, '--json']));

/** Polls `vm show` (which asks the agent) until it answers, or fails with the last view. */
async function agentAnswers(name: string, since = 0, timeoutMs = 120_000): Promise<VmView> {
  const deadline = Date.now() + timeoutMs;
  let last: VmView | undefined;
  while (Date.now() < deadline) {
    last = await show(name);
    if (last.agent?.answering && Date.parse(last.agent.checkedAt) >= since) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  // The guest console says why (the agent logs its transport and errors there); so may the guest itself.
  const log = last ? readFileSync(join(last.vmDir, 'console.log'), 'utf8') : '';
  const agentLines = log.split('\n').filter((l) => l.includes('banger-agent'));
  const console = `${agentLines.join('\n')}\n…\n${log.slice(-3000)}`;
  const inside = await h.banger(
    [
      'vm',
      'ssh',
      name,
      '--',
      'sh',
      '-c',
      'uptime; systemctl list-jobs --no-pager | head; ps -eo pid,stat,wchan:20,cmd | grep -E "agent|PID"; ls -la /dev/vport* /sys/class/virtio-ports',
    ],
    { timeoutMs: 30_000 },
  );
  throw new Error(
    `the agent of ${name} never answered: ${JSON.stringify(last)}\n--- console.log tail ---\n${console}\n--- in the guest (exit ${inside.status}) ---\n${inside.stdout}${inside.stderr}`,
  );
}

/** Waits until the guest's address stops answering ping from the host's side. */
async function noRoute(ip: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await h.netns.runner.run(['ping', '-c', '1', '-W', '1', ip], { check: false })).exitCode === 0) {
    if (Date.now() > deadline) throw new Error(`${ip} still answers ping with eth0 down`);
  }
}

describe('the guest agent', () => {
  it('answers on the golden image, also with eth0 down; the reminder follows vm ssh only while the VM runs', {
    timeout: 900_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'ag', '--image', 'golden'], 300_000);
    const up = await agentAnswers('ag');
    expect(up.agent).toMatchObject({ answering: true, uptimeSeconds: expect.any(Number) });
    expect(up.agent?.load).toHaveLength(3);
    expect((await ok(['vm', 'show', 'ag'])).stdout).toMatch(
      /^agent: +answering \(guest up \S+, load [\d. ]+\)$/m,
    );
    // The daemon's sampling (every second here) keeps the list's reading fresh too.
    const listed = json<VmView[]>(await ok(['vm', 'list', '--json'])).find((v) => v.name === 'ag');
    expect(listed?.agent?.answering).toBe(true);

    const quick = await ok(['vm', 'ssh', 'ag', '--', 'true']);
    expect(quick.stderr).toContain(
      'ag is still running; `banger vm stop ag` stops it, `banger vm delete ag` removes it',
    );

    // Stopped from another shell while a session runs: no reminder after it.
    const session = h.banger(['vm', 'ssh', 'ag', '--', 'sleep', '60'], { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 3000));
    await ok(['vm', 'stop', 'ag'], 120_000);
    const ended = await session;
    expect(ended.stderr).not.toContain('still running');

    await ok(['vm', 'start', 'ag'], 300_000);
    const ip = (await show('ag')).guestIp;
    await ok([
      'vm',
      'ssh',
      'ag',
      '--',
      'sh',
      '-c',
      '(sleep 1; ip link set eth0 down) >/dev/null 2>&1 </dev/null &',
    ]);
    // No route from the host to the guest any more...
    await noRoute(ip);
    // ...and the agent still answers, over vsock.
    await agentAnswers('ag', Date.now());
    await ok(['vm', 'delete', 'ag'], 120_000);
  });

  it('answers on an image with no systemd and no libc (busybox init)', { timeout: 600_000 }, async () => {
    await registerBusyboxImage(h, 'tiny');
    await ok(['vm', 'create', '--name', 'tiny', '--image', 'tiny', '--no-wait']);
    expect((await agentAnswers('tiny')).agent?.answering).toBe(true);
    await ok(['vm', 'delete', 'tiny'], 120_000);
  });

  it('answers on an image pulled from an OCI registry (busybox init, no libc)', {
    timeout: 600_000,
  }, async () => {
    // The registry runs in the harness's namespace, where its daemon can reach it on loopback.
    const registry = await startRegistry({ netns: h.netns.name });
    try {
      const dirs = ['bin/', 'sbin/', 'etc/', 'proc/', 'sys/', 'dev/', 'root/', 'tmp/'];
      const layer = await layerOf([
        ...dirs.map((name) => ({ name, type: 'directory' as const })),
        { name: 'bin/busybox', content: readFileSync('/bin/busybox'), mode: 0o755 },
        { name: 'sbin/init', type: 'symlink' as const, linkname: '/bin/busybox' },
        // This guest drops its own network at boot: the agent must not need it.
        { name: 'etc/inittab', content: `::sysinit:/bin/busybox ip link set eth0 down\n${BUSYBOX_INITTAB}` },
      ]);
      const layout = join(h.root, 'oci-layout');
      await writeLayout(layout, 'v1', [{ layers: [layer] }]);
      const ref = `${registry.host}/tiny/agent:v1`;
      await pushLayout(layout, 'v1', ref, h.netns.name);
      // A pulled image boots with the default kernel set: the golden image's, so nothing is downloaded.
      const kernels = join(h.stateDir, 'kernels');
      mkdirSync(kernels, { recursive: true });
      execFileSync('cp', ['-a', (await goldenImage()).kernelDir, join(kernels, 'debian-bookworm-cloud')]);
      await ok(['image', 'pull', ref, '--name', 'tiny-oci'], 300_000);
      await ok(['vm', 'create', '--name', 'oci', '--image', 'tiny-oci', '--no-wait']);
      const view = await agentAnswers('oci');
      expect(view.agent?.answering).toBe(true);
      // No route to the guest (it takes eth0 down early in its boot, maybe after the agent's first
      // answer), and the agent answers all the same.
      await noRoute(view.guestIp);
      await agentAnswers('oci', Date.now());
      await ok(['vm', 'delete', 'oci'], 120_000);
    } finally {
      await registry.stop();
    }
  });
});
