import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotInfo } from '../../src/api/snapshots.js';
import type { VmView } from '../../src/api/vms.js';
import { FirecrackerApi } from '../../src/host/firecracker/api-client.js';
import { daemonLogSize, killDaemon, restartPausingAt, waitForPause } from '../support/daemon-control.js';
import { createNoGuestHarness, json, mustRun, type VmHarness } from '../support/vm-harness.js';

/**
 * `vm snapshot` and `vm snapshot list|show|delete` through the CLI, against
 * a daemon whose VMs run in the stand-in's no-guest mode (its snapshot API
 * is Firecracker's): the files, the record, the refusals with one line each,
 * and kill -9 of the daemon while a VM is paused for a snapshot.
 */

let h: VmHarness;
const ok = (args: string[]) => mustRun(h, args);
const snapshotsDir = () => join(h.stateDir, 'snapshots');
const tmpDir = () => join(h.stateDir, 'tmp');
const show = async (vm: string) => json<VmView>(await ok(['vm', 'show', vm, '--json']));
const vmmState = async (vm: string) =>
  (await new FirecrackerApi(join((await show(vm)).vmDir, 'firecracker.sock')).describeInstance()).state;

beforeAll(async () => {
  h = await createNoGuestHarness('snapshots');
  await ok(['vm', 'create', '--name', 'dev', '--image', 'test-image', '--no-wait']);
  await ok(['vm', 'create', '--name', 'idle', '--image', 'test-image', '--no-start']);
});

afterAll(async () => {
  await h?.cleanup();
});

describe('vm snapshot (no-guest stand-in)', () => {
  it('writes the state, the memory and both disks, with a record; the VM runs on', async () => {
    const r = await ok(['vm', 'snapshot', 'dev', '--name', 'first']);
    expect(r.stdout).toMatch(/^snapshot first of dev \(.+ on disk\)\n$/);
    // The steps stream as progress on stderr.
    for (const step of [
      'pausing dev',
      'writing the state and memory',
      'copying the system and work disks',
      'resuming dev',
    ])
      expect(r.stderr).toContain(step);
    const dir = join(snapshotsDir(), 'first');
    expect(readdirSync(dir).sort()).toEqual([
      'snapshot.json',
      'system.ext4',
      'vm.mem',
      'vm.state',
      'work.ext4',
    ]);
    const vm = await show('dev');
    expect(statSync(join(dir, 'work.ext4')).size).toBe(statSync(join(vm.vmDir, 'work.ext4')).size);
    expect(statSync(join(dir, 'snapshot.json')).mode & 0o777).toBe(0o600);
    expect(vm.state).toBe('running');
    expect(await vmmState('dev')).toBe('Running');

    const s = json<SnapshotInfo>(await ok(['vm', 'snapshot', 'show', 'first', '--json']));
    expect(s).toMatchObject({
      name: 'first',
      source: { vmId: vm.id, vmName: 'dev' },
      image: 'test-image',
      vcpu: vm.vcpu,
      memoryMib: vm.memoryMib,
      diskBytes: vm.diskBytes,
      path: dir,
    });
    expect(s.sizeBytes).toBeGreaterThan(0);
    expect((await ok(['vm', 'snapshot', 'show', 'first'])).stdout).toMatch(/^source:\s+dev \(/m);
  });

  it('names a snapshot after its VM and the time by default; list shows them oldest first', async () => {
    const r = await ok(['vm', 'snapshot', 'dev', '--json']);
    const s = json<SnapshotInfo>(r);
    expect(s.name).toMatch(/^dev-\d{8}-\d{6}$/);
    const list = json<SnapshotInfo[]>(await ok(['vm', 'snapshot', 'list', '--json']));
    expect(list.map((x) => x.name)).toEqual(['first', s.name]);
    const table = (await ok(['vm', 'snapshot', 'list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+SOURCE\s+IMAGE\s+MEMORY\s+SIZE\s+CREATED$/);
    expect(table[1]).toMatch(/^first\s+dev\s+test-image\s/);
    await ok(['vm', 'snapshot', 'delete', s.name]);
  });

  it.each([
    {
      name: 'a stopped VM',
      args: ['idle'],
      code: 5,
      message: /VM idle is not running; .*banger vm start idle/,
    },
    {
      name: 'a taken name',
      args: ['dev', '--name', 'first'],
      code: 5,
      message: /a snapshot named "first" exists/,
    },
    {
      name: 'a bad name',
      args: ['dev', '--name', 'Bad/Name'],
      code: 2,
      message: /invalid snapshot name "Bad\/Name"/,
    },
    { name: 'an unknown VM', args: ['ghost'], code: 4, message: /ghost/ },
  ])('refuses $name with one line, creating nothing', async (c) => {
    const before = readdirSync(snapshotsDir()).sort();
    const r = await h.banger(['vm', 'snapshot', ...c.args]);
    expect(r.status, r.stderr).toBe(c.code);
    expect(r.stderr).toMatch(c.message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(snapshotsDir()).sort()).toEqual(before);
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-'))).toEqual([]);
  });

  it('show and delete of an unknown snapshot fail with one line; delete removes the files', async () => {
    for (const verb of ['show', 'delete']) {
      const r = await h.banger(['vm', 'snapshot', verb, 'nope']);
      expect(r.status).toBe(4);
      expect(r.stderr).toMatch(/no snapshot named "nope"/);
    }
    await ok(['vm', 'snapshot', 'dev', '--name', 'doomed']);
    expect(existsSync(join(snapshotsDir(), 'doomed'))).toBe(true);
    expect((await ok(['vm', 'snapshot', 'delete', 'doomed'])).stdout).toBe('deleted snapshot doomed\n');
    expect(existsSync(join(snapshotsDir(), 'doomed'))).toBe(false);
  });

  it('kill -9 of the daemon while the VM is paused for a snapshot: no partial snapshot, the VM runs again', async () => {
    await restartPausingAt(h, 'snapshot:disks');
    const from = daemonLogSize(h);
    const taking = h.banger(['vm', 'snapshot', 'dev', '--name', 'interrupted']);
    await waitForPause(h, 'snapshot:disks', from);
    expect(await vmmState('dev').catch(() => 'Paused')).toBe('Paused');
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-staging-'))).toHaveLength(1);
    await killDaemon(h);
    expect((await taking).status).not.toBe(0);

    // The next daemon (started by this call) cleans up before it answers.
    const list = json<SnapshotInfo[]>(await ok(['vm', 'snapshot', 'list', '--json']));
    expect(list.map((s) => s.name)).toEqual(['first']);
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-staging-'))).toEqual([]);
    expect(await vmmState('dev')).toBe('Running');
    expect((await show('dev')).state).toBe('running');
    // And snapshots work again.
    await ok(['vm', 'snapshot', 'dev', '--name', 'after']);
  });

  it.each([
    { name: 'an unknown source', args: ['ghost'], code: 4, message: /no VM or snapshot named "ghost"/ },
    { name: 'a stopped VM', args: ['idle', '--name', 'x1'], code: 5, message: /VM idle is not running/ },
    { name: 'a taken name', args: ['dev', '--name', 'idle'], code: 5, message: /a VM named "idle" exists/ },
    { name: 'a bad name', args: ['dev', '--name', 'No_Good'], code: 2, message: /invalid VM name "No_Good"/ },
  ])('vm fork refuses $name with one line, creating nothing', async (c) => {
    const vmNames = async () =>
      json<VmView[]>(await ok(['vm', 'list', '--json'])).map((v) => `${v.name} ${v.state}`);
    const vms = await vmNames();
    const r = await h.banger(['vm', 'fork', ...c.args]);
    expect(r.status, r.stderr).toBe(c.code);
    expect(r.stderr).toMatch(c.message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await vmNames()).toEqual(vms);
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-'))).toEqual([]);
  });

  it('kill -9 of the daemon mid-fork: the next daemon removes the half-made fork and the capture', async () => {
    const before = json<VmView[]>(await ok(['vm', 'list', '--json'])).map((v) => v.name);
    await restartPausingAt(h, 'fork:identity');
    const from = daemonLogSize(h);
    const forking = h.banger(['vm', 'fork', 'dev', '--name', 'half']);
    await waitForPause(h, 'fork:identity', from);
    const half = json<VmView[]>(await ok(['vm', 'list', '--json'])).find((v) => v.name === 'half');
    expect(half?.state).toBe('creating');
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-staging-'))).toHaveLength(1);
    await killDaemon(h);
    expect((await forking).status).not.toBe(0);

    const after = json<VmView[]>(await ok(['vm', 'list', '--json']));
    expect(after.map((v) => v.name)).toEqual(before);
    expect(existsSync(join(h.vmsDir, half?.id ?? 'none'))).toBe(false);
    expect(readdirSync(tmpDir()).filter((n) => n.startsWith('snapshot-staging-'))).toEqual([]);
    expect(await vmmState('dev')).toBe('Running');
  });
});
