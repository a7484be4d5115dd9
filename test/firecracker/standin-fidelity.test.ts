// The stand-in is as strict as Firecracker where banger depends on it
// (issue 17): it writes its log and metrics files from offset 0 without
// O_APPEND or truncation, and it refuses a kernel command line that does not
// fit Firecracker's 2048 bytes, at PUT /boot-source and, with what Firecracker
// appends, at InstanceStart. No guest is booted.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bootArgs, firecrackerCmdlineBytes, KERNEL_CMDLINE_MAX } from '../../src/domain/boot-args.js';
import type { VmLaunchSpec } from '../../src/host/firecracker/driver.js';
import { launchRequests, vmFiles } from '../../src/host/firecracker/launch-plan.js';
import { type StandinProcess, spawnStandin } from '../support/qemu-standin.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-fidelity-'));
const kernel = join(dir, 'vmlinux');
const rootfs = join(dir, 'rootfs.ext4');
writeFileSync(kernel, 'not really a kernel');
writeFileSync(rootfs, 'rootfs');

const BOOT_ARGS_INVALID =
  'Boot source error: The kernel command line is invalid: Invalid cmdline capacity provided.';
const START_TOO_LONG =
  'Start microvm error: Invalid kernel command line: Inserting string would make command line too long.';
const DEVICE_TOO_LONG =
  'Start microvm error: Could not attach device: MMIO transport error: Failed to allocate requested resourc: Inserting string would make command line too long.';

/** Every stand-in a test started (one test may start several): all are killed after it. */
const started: StandinProcess[] = [];
let run = 0;

async function standin(): Promise<StandinProcess> {
  const sub = join(dir, `run-${++run}`);
  mkdirSync(sub);
  const fc = await spawnStandin({ dir: sub, args: ['--no-guest', '--id', `fidelity-${run}`] });
  started.push(fc);
  return fc;
}

afterEach(async () => {
  for (let fc = started.pop(); fc !== undefined; fc = started.pop()) {
    if (fc.child.exitCode === null && fc.child.signalCode === null) {
      fc.child.kill('SIGKILL');
      await fc.exited;
    }
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stand-in log and metrics files (no O_APPEND, no truncation)', () => {
  it('writes from offset 0 over an earlier run’s content', async () => {
    const log = join(dir, 'fc.log');
    const metrics = join(dir, 'metrics.json');
    const oldLine = '{"earlier_run":true,"padding":"................................................"}\n';
    writeFileSync(log, 'E'.repeat(64 * 1024));
    writeFileSync(metrics, oldLine.repeat(200));
    const vm = await standin();
    expect((await vm.api('PUT', '/logger', { log_path: log, level: 'Info' })).status).toBe(204);
    expect((await vm.api('PUT', '/metrics', { metrics_path: metrics })).status).toBe(204);
    expect((await vm.api('PUT', '/boot-source', { kernel_image_path: kernel })).status).toBe(204);
    expect((await vm.api('PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
    expect((await vm.api('PUT', '/actions', { action_type: 'FlushMetrics' })).status).toBe(204);

    const logText = readFileSync(log, 'utf8');
    expect(logText.length).toBe(64 * 1024); // not truncated, not appended to
    expect(logText).toMatch(/^\S+ \[fidelity-\d+:fc_api\] /);
    expect(logText).toContain('Successfully started microvm');
    expect(logText).toMatch(/\nE+$/);

    const lines = readFileSync(metrics, 'utf8').split('\n');
    expect(JSON.parse(lines[0] ?? '')).toHaveProperty('utc_timestamp_ms');
    expect(readFileSync(metrics, 'utf8').length).toBe(oldLine.length * 200);
    // What follows is the tail of an earlier run's line, then its whole lines: a reader that
    // takes the last line gets the earlier run's.
    expect(lines.at(-2)).toBe(oldLine.trimEnd());
  });
});

describe('stand-in kernel command line limit', () => {
  it('PUT /boot-source takes 2047 bytes of boot_args and refuses 2048 (the NUL counts)', async () => {
    const vm = await standin();
    const put = (boot_args: string) =>
      vm.api('PUT', '/boot-source', { kernel_image_path: kernel, boot_args });
    expect((await put('x'.repeat(2047))).status).toBe(204);
    expect(await put('x'.repeat(2048))).toEqual({ status: 400, body: { fault_message: BOOT_ARGS_INVALID } });
    // Counted in UTF-8 bytes; the characters themselves are not checked (linux-loader's try_from).
    expect((await put('é'.repeat(1023))).status).toBe(204);
    expect((await put('é'.repeat(1024))).status).toBe(400);
  });

  it('InstanceStart refuses a line that no longer fits once pci=off, root= and the MMIO list are added', async () => {
    const vm = await standin();
    await vm.api('PUT', '/drives/rootfs', {
      drive_id: 'rootfs',
      path_on_host: rootfs,
      is_root_device: true,
      is_read_only: true,
    });
    // 2047 bytes fit PUT /boot-source, but pci=off does not fit after them.
    await vm.api('PUT', '/boot-source', { kernel_image_path: kernel, boot_args: 'x'.repeat(2047) });
    expect(await vm.api('PUT', '/actions', { action_type: 'InstanceStart' })).toEqual({
      status: 400,
      body: { fault_message: START_TOO_LONG },
    });
    // pci=off, root=/dev/vda and ro fit (8 + 14 + 3 bytes) but the drive's virtio_mmio.device= (35) does not.
    await vm.api('PUT', '/boot-source', {
      kernel_image_path: kernel,
      boot_args: 'x'.repeat(2047 - 25 - 34),
    });
    expect(await vm.api('PUT', '/actions', { action_type: 'InstanceStart' })).toEqual({
      status: 400,
      body: { fault_message: DEVICE_TOO_LONG },
    });
    // One byte less and it starts.
    await vm.api('PUT', '/boot-source', {
      kernel_image_path: kernel,
      boot_args: 'x'.repeat(2047 - 25 - 35),
    });
    expect((await vm.api('PUT', '/actions', { action_type: 'InstanceStart' })).status).toBe(204);
  });

  it("agrees with banger's own count for a banger VM (3 drives, eth0, vsock): 2048 bytes start, 2049 do not", async () => {
    const contract = {
      address: '172.16.0.2/24',
      gateway: '172.16.0.1',
      dns: ['172.16.0.1'],
      hostname: 'cmdline',
    };
    const room =
      KERNEL_CMDLINE_MAX -
      firecrackerCmdlineBytes(bootArgs(contract), { root: { readOnly: true }, virtioDevices: 5 });
    const line = bootArgs({
      ...contract,
      extra: [`banger.pad=${'x'.repeat(room - 1 - 'banger.pad='.length)}`],
    });
    expect(() =>
      bootArgs({ ...contract, extra: [`banger.pad=${'x'.repeat(room - 'banger.pad='.length)}`] }),
    ).toThrow(/Firecracker allows 2048/);
    for (const [args, status] of [
      [line, 204],
      [`${line}x`, 400],
    ] as const) {
      const vm = await standin();
      const vmDir = join(dir, `run-${run}`);
      for (const f of ['firecracker.log', 'metrics.json', 'system.ext4', 'work.ext4'])
        writeFileSync(join(vmDir, f), '');
      const spec: VmLaunchSpec = {
        vmId: `fidelity-${run}`,
        vmDir,
        firecrackerBin: '/unused',
        vcpu: 1,
        memoryMib: 128,
        kernel: { vmlinux: kernel, initrd: kernel },
        bootArgs: args,
        drives: [
          { id: 'rootfs', path: rootfs, readOnly: true, isRoot: true },
          { id: 'system', path: join(vmDir, 'system.ext4'), readOnly: false, isRoot: false },
          { id: 'work', path: join(vmDir, 'work.ext4'), readOnly: false, isRoot: false },
        ],
        net: { tap: 'tap-fidelity', mac: '06:00:ac:10:00:02' },
        vsock: { cid: 3, udsPath: join(vmDir, 'v.sock') },
      };
      const requests = launchRequests(spec, vmFiles(vmDir));
      for (const req of requests.slice(0, -1)) {
        expect((await vm.api(req.method, req.path, req.body)).status, req.path).toBe(204);
      }
      const start = await vm.api('PUT', '/actions', { action_type: 'InstanceStart' });
      expect(start.status, JSON.stringify(start.body)).toBe(status);
    }
  });
});
