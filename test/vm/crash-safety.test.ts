import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { daemonLogSize, killDaemon, restartPausingAt, waitForPause } from '../support/daemon-control.js';
import { processAlive } from '../support/qemu-standin.js';
import {
  createNoGuestHarness,
  json,
  listTree,
  mustRun,
  type VmHarness,
  vmIptables,
  vmTapLines,
} from '../support/vm-harness.js';

/**
 * The daemon killed with SIGKILL at exact moments of a start or create
 * (the test-only BANGER_TEST_PAUSE seam stops it there), then restarted:
 * no Firecracker is left running unowned, no TAP is taken from under a
 * live process, and no half-made VM shows up as a normal one.
 */

let h: VmHarness;

const ok = (args: string[]) => mustRun(h, args);
const vmList = async () => json<VmView[]>(await ok(['vm', 'list', '--json']));
const vmTaps = () => vmTapLines(h);
const knownHosts = () => {
  const file = join(h.stateDir, 'ssh', 'known_hosts');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

/** Live processes whose command line names the VM dir's API socket (the Firecracker stand-in). */
function vmmPids(vmDir: string): number[] {
  const sock = join(vmDir, 'firecracker.sock');
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(sock);
      } catch {
        return false;
      }
    })
    .filter(processAlive);
}

beforeAll(async () => {
  h = await createNoGuestHarness('crash');
});

afterAll(async () => {
  await h?.cleanup();
});

// The next daemon starts without pause points (a paused one cannot stop gracefully: kill it);
// a failed test leaves no VMs to the next one.
afterEach(async () => {
  await killDaemon(h);
  const names = (await vmList()).map((v) => v.name);
  if (names.length) await h.banger(['vm', 'delete', ...names]);
});

describe('kill -9 of the daemon mid-operation (no-guest stand-in)', () => {
  it('between Firecracker spawn and its handles: the next daemon stops the process; the VM is stopped and starts again', async () => {
    const baseTables = await vmIptables(h);
    await ok(['vm', 'create', '--name', 'spawned', '--image', 'test-image', '--nat', '--no-start']);
    const [vm] = await vmList();
    const dir = join(h.vmsDir, vm!.id);
    await restartPausingAt(h, 'launch:spawned');
    const from = daemonLogSize(h);
    const starting = h.banger(['vm', 'start', 'spawned', '--no-wait']);
    await waitForPause(h, 'launch:spawned', from);
    const pids = vmmPids(dir);
    expect(pids).toHaveLength(1);
    expect(await vmTaps()).toHaveLength(1);

    await killDaemon(h);
    expect((await starting).status).not.toBe(0);
    const [after] = await vmList(); // a new daemon, reconciled before it answers
    expect(after).toMatchObject({ name: 'spawned', state: 'stopped' });
    expect(pids.filter(processAlive)).toEqual([]);
    expect(existsSync(join(dir, 'handles.json'))).toBe(false);
    expect(await vmTaps()).toHaveLength(0);
    expect(await vmIptables(h)).toBe(baseTables);

    await ok(['vm', 'start', 'spawned', '--no-wait']);
    const [restarted] = await vmList();
    expect(restarted).toMatchObject({ state: 'running' });
    expect(vmmPids(dir)).toEqual([restarted!.pid]);
    await ok(['vm', 'delete', 'spawned']);
  });

  it('a Firecracker never recorded (kill -9 right after the fork) is found by its command line and stopped', async () => {
    await ok(['vm', 'create', '--name', 'unrecorded', '--image', 'test-image', '--no-start']);
    const [vm] = await vmList();
    const dir = join(h.vmsDir, vm!.id);
    await restartPausingAt(h, 'launch:spawned');
    const from = daemonLogSize(h);
    const starting = h.banger(['vm', 'start', 'unrecorded', '--no-wait']);
    await waitForPause(h, 'launch:spawned', from);
    const pids = vmmPids(dir);
    expect(pids).toHaveLength(1);

    await killDaemon(h);
    expect((await starting).status).not.toBe(0);
    rmSync(join(dir, 'handles.json'), { force: true }); // as if the daemon died before writing it
    const [after] = await vmList();
    expect(after).toMatchObject({ name: 'unrecorded', state: 'stopped' });
    expect(pids.filter(processAlive)).toEqual([]);
    expect(await vmTaps()).toHaveLength(0);
    await ok(['vm', 'delete', 'unrecorded']);
  });

  it('mid-create: the VM shows as creating, and after a restart it is gone (row, dir, trusted key)', async () => {
    await restartPausingAt(h, 'create:work-disk');
    const from = daemonLogSize(h);
    const creating = h.banger(['vm', 'create', '--name', 'half', '--image', 'test-image', '--no-wait']);
    await waitForPause(h, 'create:work-disk', from);
    const [vm] = await vmList();
    expect(vm).toMatchObject({ name: 'half', state: 'creating' });
    expect(existsSync(join(h.vmsDir, vm!.id, 'system.ext4'))).toBe(true);
    expect(knownHosts()).toContain(vm!.id);

    await killDaemon(h);
    expect((await creating).status).not.toBe(0);
    expect(await vmList()).toEqual([]);
    expect(listTree(h.vmsDir)).toEqual([]);
    expect(knownHosts()).not.toContain(vm!.id);

    // The name and address are free again.
    await ok(['vm', 'create', '--name', 'half', '--image', 'test-image', '--no-start']);
    expect((await vmList()).map((v) => [v.name, v.guestIp])).toEqual([['half', vm!.guestIp]]);
    await ok(['vm', 'delete', 'half']);
  });

  it('mid-create after Firecracker spawned: no process, VM, TAP or rule is left', async () => {
    const baseTables = await vmIptables(h);
    await restartPausingAt(h, 'launch:spawned');
    const from = daemonLogSize(h);
    const creating = h.banger(['vm', 'create', '--name', 'booting', '--image', 'test-image', '--nat']);
    await waitForPause(h, 'launch:spawned', from);
    const [vm] = await vmList();
    expect(vm).toMatchObject({ name: 'booting', state: 'creating' });
    const pids = vmmPids(join(h.vmsDir, vm!.id));
    expect(pids).toHaveLength(1);

    await killDaemon(h);
    expect((await creating).status).not.toBe(0);
    expect(await vmList()).toEqual([]);
    expect(pids.filter(processAlive)).toEqual([]);
    expect(listTree(h.vmsDir)).toEqual([]);
    expect(await vmTaps()).toHaveLength(0);
    expect(await vmIptables(h)).toBe(baseTables);
  });
});
