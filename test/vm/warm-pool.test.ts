import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

/**
 * warm_pool_size = 1 with real guests (golden image, through the stand-in):
 * the daemon boots the pool's base VM, snapshots it and keeps one VM
 * restored from it ready, out of `vm list`; `vm run -- hostname` takes that
 * VM under its new name (the guest says so), and the pool refills.
 */

let h: VmHarness;
const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const listAll = async () => json<VmView[]>(await ok(['vm', 'list', '--all', '--json']));

/** Polls until `pred` holds for `vm list --all`, for up to 10 minutes. */
async function until(what: string, pred: (vms: VmView[]) => boolean): Promise<VmView[]> {
  const deadline = Date.now() + 600_000;
  let vms = await listAll();
  while (!pred(vms)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(vms.map((v) => [v.name, v.state]))}`);
    await new Promise((r) => setTimeout(r, 2000));
    vms = await listAll();
  }
  return vms;
}

/** A pool VM ready to take (not the pool's base VM, `pool-base-…`, which lives only until its snapshot). */
const readyPoolVm = (vms: VmView[]) =>
  vms.find((v) => /^pool-[0-9a-f]{8}$/.test(v.name) && v.state === 'running');

beforeAll(async () => {
  h = await createVmHarness({
    label: 'pool',
    config: [
      'warm_pool_size = 1',
      'default_image_name = "golden"',
      '[vm_defaults]',
      'memory_mib = 768',
      'vcpu = 1',
    ],
  });
  await registerGoldenImage(h, 'golden');
  // The first daemon started before the image existed; the next one fills the pool at start.
  await ok(['daemon', 'stop']);
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('warm pool', () => {
  it('keeps a VM ready out of lists; vm run takes it under its own name; the pool refills', {
    timeout: 1_500_000,
  }, async () => {
    const ready = await until(
      'a ready pool VM, alone',
      (vms) => readyPoolVm(vms) !== undefined && vms.length === 1,
    );
    const pooled = readyPoolVm(ready);
    expect(json<VmView[]>(await ok(['vm', 'list', '--json']))).toEqual([]);

    const run = await ok(['vm', 'run', '--', 'hostname'], 600_000);
    const poolLog = readFileSync(join(h.stateDir, 'bangerd.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('warm pool'))
      .join('\n');
    expect(run.stderr, poolLog).toContain('taking a ready VM from the warm pool');
    const [taken] = json<VmView[]>(await ok(['vm', 'list', '--json']));
    expect(taken?.id).toBe(pooled?.id);
    expect(taken?.name).not.toMatch(/^pool-/);
    expect(run.stdout.trim()).toBe(taken?.name);
    expect((await ok(['vm', 'ssh', taken?.name ?? '', '--', 'hostname'])).stdout.trim()).toBe(taken?.name);

    const refilled = await until('the pool to refill', (vms) => {
      const vm = readyPoolVm(vms);
      return vm !== undefined && vm.id !== pooled?.id;
    });
    expect(refilled).toHaveLength(2);
  });
});
