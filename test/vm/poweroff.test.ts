import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { processAlive } from '../support/qemu-standin.js';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

/**
 * Issue 17: on Firecracker a guest power-off or halt leaves the process
 * alive (no ACPI _S5), so the VM would look running with SSH dead and no exit
 * event. The stand-in does the same now (QEMU -no-shutdown), and banger's
 * guests turn power-off and halt into a reboot, which ends Firecracker: the
 * daemon sees the VM exit and shows it stopped. One golden VM, booted four times.
 * A forced power-off (`poweroff -ff`) still halts the guest inside a live
 * Firecracker; `vm stop` then sees the guest silent and signals it at once
 * instead of waiting out its timeout, which this file sets to ten minutes.
 */

let h: VmHarness;
const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const show = async (vm: string) => json<VmView>(await ok(['vm', 'show', vm, '--json']));

beforeAll(async () => {
  h = await createVmHarness({
    label: 'poweroff',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
    // Longer than any test here may take: a stop that waits out its timeout fails the test.
    env: { BANGER_STOP_TIMEOUT_MS: '600000' },
  });
  await registerGoldenImage(h, 'golden');
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

/** The daemon log's "vm stopped" lines, oldest first. */
function stopLines(): string[] {
  return readFileSync(join(h.stateDir, 'bangerd.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"msg":"vm stopped"'));
}

/** Runs `command` in the guest detached (SSH returns first), then waits for the VM to end on its own. */
async function guestEnds(vm: string, command: string): Promise<{ seconds: number; console: string }> {
  const before = await show(vm);
  expect(before.state).toBe('running');
  const consolePath = join(before.vmDir, 'console.log');
  const consoleOffset = readFileSync(consolePath).length;
  await ok(['vm', 'ssh', vm, '--', 'sh', '-c', `nohup sh -c 'sleep 1; ${command}' >/dev/null 2>&1 &`]);
  const started = Date.now();
  let view = before;
  while (Date.now() - started < 90_000) {
    view = await show(vm);
    if (view.state === 'stopped') break;
    await sleep(1000);
  }
  const console_ = readFileSync(consolePath).subarray(consoleOffset).toString('utf8');
  expect(
    view.state,
    `the VM still looks ${view.state} 90 s after \`${command}\` in the guest; console tail: ${console_.slice(-1500)}`,
  ).toBe('stopped');
  expect(processAlive(before.pid!), 'Firecracker outlived the guest').toBe(false);
  return { seconds: (Date.now() - started) / 1000, console: console_ };
}

describe('a guest power-off or halt under a Firecracker that stays alive', () => {
  it('poweroff and halt end the VM (shown stopped, Firecracker gone); stop and delete still work', {
    timeout: 1_200_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'off', '--image', 'golden'], 300_000);

    const off = await guestEnds('off', 'poweroff');
    console.log(`poweroff: VM stopped ${off.seconds.toFixed(1)} s after the command`);
    expect(off.console).toContain('reboot: Restarting system'); // turned into a reboot, which ends Firecracker
    expect(off.console).not.toContain('reboot: Power down');
    expect((await show('off')).lastError).toBeUndefined();

    await ok(['vm', 'start', 'off'], 300_000);
    const halted = await guestEnds('off', 'halt');
    console.log(`halt: VM stopped ${halted.seconds.toFixed(1)} s after the command`);
    expect(halted.console).toContain('reboot: Restarting system');
    expect(halted.console).not.toContain('reboot: System halted');

    // vm stop ends the guest through its own reboot path: SendCtrlAltDel reaches the guest's PS/2
    // keyboard, systemd runs ctrl-alt-del.target (a reboot, with disks synced and unmounted), and
    // the reboot ends Firecracker. No SIGTERM: the daemon logs how the stop ended.
    await ok(['vm', 'start', 'off'], 300_000);
    const pid = (await show('off')).pid!;
    await ok(['vm', 'ssh', 'off', '--', 'sh', '-c', 'echo kept > /root/written-before-stop']); // no sync
    const stopStarted = Date.now();
    await ok(['vm', 'stop', 'off'], 120_000);
    console.log(`vm stop: ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
    expect((await show('off')).state).toBe('stopped');
    expect(processAlive(pid)).toBe(false);
    expect(
      stopLines().at(-1),
      'the stop needed a signal: the guest did not reboot on Ctrl+Alt+Del',
    ).toContain('"how":"graceful"');
    await ok(['vm', 'start', 'off'], 300_000);
    expect((await ok(['vm', 'ssh', 'off', '--', 'cat', '/root/written-before-stop'])).stdout).toBe('kept\n');

    const lastPid = (await show('off')).pid!;
    await ok(['vm', 'delete', 'off'], 120_000);
    expect(json<VmView[]>(await ok(['vm', 'list', '--json']))).toEqual([]);
    expect(processAlive(lastPid)).toBe(false);
  });

  it('a forced power-off halts the guest in a live VMM; vm stop sees it silent and signals it', {
    timeout: 900_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'hard', '--image', 'golden'], 300_000);
    const before = await show('hard'); // asks the agent: it has answered in this boot
    expect(before.agent?.answering).toBe(true);
    const consolePath = join(before.vmDir, 'console.log');
    const consoleOffset = readFileSync(consolePath).length;
    // -ff: the kernel powers off at once, no systemd, so no alias turns it into a reboot.
    await ok([
      'vm',
      'ssh',
      'hard',
      '--',
      'sh',
      '-c',
      "nohup sh -c 'sleep 1; poweroff -ff' >/dev/null 2>&1 &",
    ]);
    let view = before;
    const started = Date.now();
    while (Date.now() - started < 90_000) {
      view = await show('hard');
      if (view.agent?.answering === false) break;
      await sleep(1000);
    }
    const halted = readFileSync(consolePath).subarray(consoleOffset).toString('utf8');
    expect(view.agent?.answering, `the agent still answers; console: ${halted.slice(-1500)}`).toBe(false);
    expect(halted).toContain('reboot: Power down');
    // As on Firecracker: the process lives on with the guest halted, and the VM is shown running.
    expect(view.state).toBe('running');
    expect(processAlive(before.pid!)).toBe(true);

    const stopStarted = Date.now();
    await ok(['vm', 'stop', 'hard'], 120_000);
    console.log(`vm stop of the halted guest: ${((Date.now() - stopStarted) / 1000).toFixed(1)} s`);
    expect((await show('hard')).state).toBe('stopped');
    expect(processAlive(before.pid!)).toBe(false);
    const last = stopLines().at(-1) ?? '';
    expect(last).toContain('"how":"terminated"');
    expect(last).toContain('"unresponsive":true');

    // A guest that never halted is not mistaken for a silent one: started again, it stops gracefully.
    await ok(['vm', 'start', 'hard'], 300_000);
    expect((await show('hard')).agent?.answering).toBe(true);
    await ok(['vm', 'stop', 'hard'], 120_000);
    expect(stopLines().at(-1)).toContain('"how":"graceful"');
    await ok(['vm', 'delete', 'hard'], 120_000);
  });
});
