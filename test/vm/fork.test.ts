import { existsSync } from 'node:fs';
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
 * `vm fork` of real guests (golden image, through the stand-in): one fork
 * from the running VM, two from one snapshot of it. All carry the source's
 * files and running processes, and each has its own hostname, address, MAC,
 * SSH host key and machine-id; all run at once and find each other by
 * `<name>.vm`; the forks outlive their source and the snapshot.
 */

let h: VmHarness;
const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const ssh = async (vm: string, command: string) =>
  (await ok(['vm', 'ssh', vm, '--', 'sh', '-c', command])).stdout.trim();
const show = async (vm: string) => json<VmView>(await ok(['vm', 'show', vm, '--json']));

/** What makes a guest itself, read from inside it. */
async function identity(vm: string) {
  const [hostname, address, mac, hostKey, machineId] = (
    await ssh(
      vm,
      'hostname; ip -4 -o addr show dev eth0 | awk \'{print $4}\'; cat /sys/class/net/eth0/address; cut -d" " -f2 /etc/ssh/ssh_host_ed25519_key.pub; cat /etc/machine-id',
    )
  ).split('\n');
  return { hostname, address, mac, hostKey, machineId };
}

beforeAll(async () => {
  h = await createVmHarness({
    label: 'fork',
    config: ['[vm_defaults]', 'memory_mib = 768', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('vm fork of real guests', () => {
  it('forks carry the source’s files and processes under identities of their own', {
    timeout: 1_200_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'src', '--image', 'golden'], 300_000);
    const pid = await ssh('src', 'sleep 1000 >/dev/null 2>&1 & echo $!');
    await ssh('src', 'echo from-source > /root/carried');
    const source = await identity('src');

    const f1 = json<VmView>(await ok(['vm', 'fork', 'src', '--name', 'f1', '--json'], 600_000));
    expect(f1).toMatchObject({ name: 'f1', state: 'running', image: 'golden' });
    const snap = json<SnapshotInfo>(await ok(['vm', 'snapshot', 'src', '--name', 'snap', '--json'], 300_000));
    const f2 = json<VmView>(await ok(['vm', 'fork', 'snap', '--name', 'f2', '--json'], 600_000));
    // A second fork of the same snapshot, side by side with the first.
    const f3 = json<VmView>(await ok(['vm', 'fork', 'snap', '--name', 'f3', '--json'], 600_000));

    const ids = { src: source, f1: await identity('f1'), f2: await identity('f2'), f3: await identity('f3') };
    for (const [name, vm] of [
      ['f1', f1],
      ['f2', f2],
      ['f3', f3],
    ] as const) {
      expect(await ssh(name, 'cat /root/carried')).toBe('from-source');
      expect(await ssh(name, `kill -0 ${pid} && echo running`)).toBe('running');
      expect(ids[name]).toMatchObject({ hostname: name, address: `${vm.guestIp}/24` });
    }
    for (const field of ['hostname', 'address', 'mac', 'hostKey', 'machineId'] as const) {
      const values = new Set([ids.src[field], ids.f1[field], ids.f2[field], ids.f3[field]]);
      expect(values.size, `${field}: ${JSON.stringify(ids)}`).toBe(4);
    }
    // All three at once, each finding the others by name through banger's DNS.
    const [srcView, f1View, f2View] = await Promise.all([show('src'), show('f1'), show('f2')]);
    expect(await ssh('src', "getent hosts f1.vm f2.vm | awk '{print $1}' | sort")).toBe(
      [f1View.guestIp, f2View.guestIp].sort().join('\n'),
    );
    expect(await ssh('f2', "getent hosts src.vm | awk '{print $1}'")).toBe(srcView.guestIp);
    expect(await ssh('f1', `ping -c1 -W5 f2.vm > /dev/null && echo reached`)).toBe('reached');
    expect(await ssh('f3', `ping -c1 -W5 f2.vm > /dev/null && echo reached`)).toBe('reached');

    // The forks outlive their source and the snapshot; deleting the snapshot removes its files.
    await ok(['vm', 'delete', 'src'], 120_000);
    await ok(['vm', 'snapshot', 'delete', 'snap']);
    expect(existsSync(snap.path)).toBe(false);
    expect(await ssh('f1', 'cat /root/carried')).toBe('from-source');
    expect(await ssh('f2', 'hostname')).toBe('f2');
    // A fork is a VM like any other: it stops, and boots cold under its own name.
    await ok(['vm', 'stop', 'f1'], 120_000);
    await ok(['vm', 'start', 'f1'], 300_000);
    expect(await identity('f1')).toMatchObject({ hostname: 'f1', hostKey: ids.f1.hostKey });
  });
});
