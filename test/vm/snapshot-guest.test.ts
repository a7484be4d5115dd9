import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotInfo } from '../../src/api/snapshots.js';
import type { VmView } from '../../src/api/vms.js';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

/**
 * `vm snapshot` of a real guest (golden image, through the stand-in, whose
 * snapshots are QEMU migrations): the guest is paused and resumed under its
 * running processes, SSH and a process started before answer after, and the
 * disk copies hold what the guest had synced.
 */

let h: VmHarness;
const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const ssh = async (command: string) => (await ok(['vm', 'ssh', 'snap', '--', 'sh', '-c', command])).stdout;

beforeAll(async () => {
  h = await createVmHarness({
    label: 'snapguest',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('vm snapshot of a real guest', () => {
  it('pauses and resumes the guest under its processes; the disk copies hold what it synced', {
    timeout: 600_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'snap', '--image', 'golden'], 300_000);
    const pid = (await ssh('sleep 1000 >/dev/null 2>&1 & echo $!')).trim();
    await ssh('echo synced > /root/marker && sync');
    const before = json<VmView>(await ok(['vm', 'show', 'snap', '--json']));

    const s = json<SnapshotInfo>(await ok(['vm', 'snapshot', 'snap', '--name', 'gs', '--json'], 300_000));
    expect(s).toMatchObject({ name: 'gs', source: { vmName: 'snap' }, image: 'golden', memoryMib: 1024 });

    // The same guest runs on: same process, same boot, SSH answers.
    const after = json<VmView>(await ok(['vm', 'show', 'snap', '--json']));
    expect(after).toMatchObject({ state: 'running', pid: before.pid });
    expect((await ssh(`kill -0 ${pid} && echo alive`)).trim()).toBe('alive');
    // The copy of the work disk (mounted at /root in the guest) has the synced file.
    const marker = execFileSync('debugfs', ['-R', 'cat /marker', join(s.path, 'work.ext4')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(marker).toBe('synced\n');
    await ok(['vm', 'delete', 'snap'], 120_000);
    // A snapshot outlives its VM.
    expect(json<SnapshotInfo[]>(await ok(['vm', 'snapshot', 'list', '--json'])).map((x) => x.name)).toEqual([
      'gs',
    ]);
  });
});
