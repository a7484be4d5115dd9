// Snapshots of a real guest under the stand-in (QEMU's migration to a file):
// a busybox guest counts on its console; paused, snapshotted and resumed, it
// counts on; a second stand-in loads the snapshot on another TAP and vsock
// socket and the same guest counts on from where the snapshot caught it,
// without booting again. Runs in a private network namespace holding both TAPs.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKernel } from '../support/kernel-fixture.js';
import { createNetns, destroyNetns, type TestNetns } from '../support/netns.js';
import { buildBusyboxInitramfs, childPids } from '../support/qemu-initramfs.js';
import { type StandinProcess, spawnStandin } from '../support/qemu-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-snapshot-boot-'));
const TIMEOUT_MS = 90_000;

// Counts seconds on the console, for ever: the count lives in the shell's memory only.
const INIT = `
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
echo STANDIN-INIT-START
i=0
while true; do i=$((i+1)); echo "STANDIN-TICK $i"; sleep 1; done
`;

let ns: TestNetns;
let vmlinux: string;
let initrd: string;
const started: StandinProcess[] = [];

beforeAll(async () => {
  vmlinux = (await testKernel()).vmlinux;
  initrd = await buildBusyboxInitramfs({ dir, init: INIT, modules: [] });
  ns = await createNetns('snapboot');
  await ns.sh(
    'ip tuntap add tap0 mode tap && ip tuntap add tap1 mode tap && ip link set tap0 up && ip link set tap1 up',
  );
}, 120_000);

afterAll(async () => {
  for (const fc of started) fc.child.kill('SIGKILL');
  if (ns) await destroyNetns(ns.name);
  rmSync(dir, { recursive: true, force: true });
});

async function standin(name: string): Promise<StandinProcess> {
  const own = join(dir, name);
  mkdirSync(own);
  const fc = await spawnStandin({ dir: own, netns: ns.name, args: ['--id', name] });
  started.push(fc);
  return fc;
}

async function ok(fc: StandinProcess, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fc.api(method, path, body);
  expect(res, `${method} ${path}`).toEqual({ status: 204, body: undefined });
}

/** The highest count the guest printed so far. */
function lastTick(fc: StandinProcess): number {
  const ticks = [...fc.stdout().matchAll(/STANDIN-TICK (\d+)/g)].map((m) => Number(m[1]));
  return Math.max(0, ...ticks);
}

/** QEMU's command line (the stand-in's only child). */
async function qemuCmdline(fc: StandinProcess): Promise<string> {
  const [pid] = await childPids(fc.child.pid ?? 0);
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

describe('snapshots of a running guest', () => {
  it('a loaded snapshot goes on from where it was taken, on its own TAP, without booting', {
    timeout: 300_000,
  }, async () => {
    const source = await standin('source');
    await ok(source, 'PUT', '/machine-config', { vcpu_count: 1, mem_size_mib: 128 });
    await ok(source, 'PUT', '/boot-source', {
      kernel_image_path: vmlinux,
      initrd_path: initrd,
      boot_args: 'console=ttyS0 reboot=k panic=1',
    });
    await ok(source, 'PUT', '/network-interfaces/eth0', {
      iface_id: 'eth0',
      guest_mac: '06:00:AC:10:00:02',
      host_dev_name: 'tap0',
    });
    await ok(source, 'PUT', '/vsock', { guest_cid: 3, uds_path: join(dir, 'source', 'v.sock') });
    await ok(source, 'PUT', '/actions', { action_type: 'InstanceStart' });
    await source.waitForOutput('STANDIN-TICK 3', TIMEOUT_MS);

    await ok(source, 'PATCH', '/vm', { state: 'Paused' });
    const atSnapshot = lastTick(source);
    const state = join(dir, 'vm.state');
    const memory = join(dir, 'vm.mem');
    const startedAt = Date.now();
    await ok(source, 'PUT', '/snapshot/create', { snapshot_path: state, mem_file_path: memory });
    console.log(
      `snapshot of a 128 MiB guest: ${Date.now() - startedAt} ms, memory file ${statSync(memory).size} bytes`,
    );
    expect(statSync(memory).size).toBeGreaterThan(0);
    // Paused the whole time: nothing new on the console.
    expect(lastTick(source)).toBe(atSnapshot);
    await ok(source, 'PATCH', '/vm', { state: 'Resumed' });
    await source.waitForOutput(`STANDIN-TICK ${atSnapshot + 2}`, TIMEOUT_MS);

    const fork = await standin('fork');
    const forkSock = join(dir, 'fork', 'v.sock');
    await ok(fork, 'PUT', '/snapshot/load', {
      snapshot_path: state,
      mem_backend: { backend_type: 'File', backend_path: memory },
      network_overrides: [{ iface_id: 'eth0', host_dev_name: 'tap1' }],
      vsock_override: { uds_path: forkSock },
      resume_vm: true,
    });
    expect(((await fork.api('GET', '/')).body as { state: string }).state).toBe('Running');
    await fork.waitForOutput(`STANDIN-TICK ${atSnapshot + 2}`, TIMEOUT_MS);
    const forkConsole = fork.stdout();
    expect(forkConsole).not.toContain('STANDIN-INIT-START'); // not booted: restored
    expect(forkConsole).not.toMatch(/Linux version/);
    expect(forkConsole).not.toMatch(/STANDIN-TICK 1\r?\n/);
    expect(await qemuCmdline(fork)).toContain('ifname=tap1');
    expect(await qemuCmdline(source)).toContain('ifname=tap0');
    // Both run side by side.
    const sourceNow = lastTick(source);
    await source.waitForOutput(`STANDIN-TICK ${sourceNow + 1}`, TIMEOUT_MS);
    expect(((await source.api('GET', '/')).body as { state: string }).state).toBe('Running');
  });
});
