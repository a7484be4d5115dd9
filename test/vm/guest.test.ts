import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../../src/api/schemas.js';
import type { VmView } from '../../src/api/vms.js';
import { processAlive } from '../support/qemu-standin.js';
import {
  createVmHarness,
  json,
  listTree,
  mustRun,
  registerGoldenImage,
  type VmHarness,
  vmIptables,
  vmTapLines,
} from '../support/vm-harness.js';

/**
 * Real guests: the golden image booted through the Firecracker stand-in
 * (QEMU, software emulation) inside a private network namespace, reached
 * over SSH with banger's key and the VM's own host key.
 */

let h: VmHarness;

const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);

const sshOut = async (vm: string, script: string) =>
  (await ok(['vm', 'ssh', vm, '--', 'sh', '-c', script])).stdout;
const iptables = () => vmIptables(h);
const vmTaps = () => vmTapLines(h);

beforeAll(async () => {
  h = await createVmHarness({ label: 'guest', config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'] });
  await registerGoldenImage(h, 'golden');
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('a real guest through the stand-in', () => {
  it('boots the golden image: overlay root, work disk on /root, hostname, DNS; state survives stop/start; adoption after kill -9; delete leaves nothing', {
    timeout: 1_200_000,
  }, async () => {
    const tablesBefore = await iptables();
    const created = await ok(['vm', 'create', '--name', 'e2e-a', '--image', 'golden'], 300_000);
    expect(created.stderr).toMatch(/^spec: /m);
    expect(created.stdout).toContain('created e2e-a');

    const facts = await sshOut(
      'e2e-a',
      'findmnt -n -o FSTYPE /; findmnt -n -o SOURCE /root; hostname; ls -d /sys/module/vmw_vsock_virtio_transport; cat /etc/resolv.conf',
    );
    const [rootType, rootSource, hostname, vsock] = facts.split('\n');
    expect(rootType).toBe('overlay');
    expect(rootSource).toBe('/dev/vdc');
    expect(hostname).toBe('e2e-a');
    // Loaded by banger's initramfs (the stand-in has no vsock device for udev to load it for).
    expect(vsock).toBe('/sys/module/vmw_vsock_virtio_transport');
    expect(facts).toMatch(/^nameserver 172\.16\.0\.1$/m);
    // The guest's resolver reaches banger's DNS through the bridge address (port 53 redirected).
    const [vm] = json<VmView[]>(await ok(['vm', 'list', '--json']));
    expect(await sshOut('e2e-a', 'getent hosts e2e-a.vm')).toMatch(
      new RegExp(`^${vm!.guestIp.replace(/\./g, '\\.')}\\s+e2e-a\\.vm`),
    );

    await sshOut(
      'e2e-a',
      'echo etc-survives > /etc/banger-e2e && echo root-survives > /root/banger-e2e && sync',
    );
    await ok(['vm', 'stop', 'e2e-a'], 120_000);
    await ok(['vm', 'start', 'e2e-a'], 300_000);
    expect(await sshOut('e2e-a', 'cat /etc/banger-e2e /root/banger-e2e')).toBe(
      'etc-survives\nroot-survives\n',
    );

    // kill -9 of the daemon with two VMs running: the next CLI call starts a new daemon, which adopts both.
    await ok(['vm', 'create', '--name', 'e2e-b', '--image', 'golden'], 300_000);
    const before = json<VmView[]>(await ok(['vm', 'list', '--json']));
    const daemonPid = Number(readFileSync(join(h.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.pid'), 'utf8'));
    process.kill(daemonPid, 'SIGKILL');
    const adopted = json<VmView[]>(await ok(['vm', 'list', '--json']));
    expect(adopted).toHaveLength(2);
    for (const vm of before) {
      expect(adopted.find((v) => v.id === vm.id)).toMatchObject({
        state: 'running',
        pid: vm.pid,
        startedAt: vm.startedAt,
      });
    }
    expect(await sshOut('e2e-a', 'cat /root/banger-e2e')).toBe('root-survives\n');
    expect(await sshOut('e2e-b', 'hostname')).toBe('e2e-b\n');
    await ok(['vm', 'delete', 'e2e-b'], 120_000);
    const after = adopted.find((v) => v.name === 'e2e-a');

    const status = json<DaemonStatus>(await ok(['daemon', 'status', '--json']));
    const port = status.dnsListenAddr.split(',')[0]!.trim().split(':')[1]!;
    const dig = () =>
      execFileSync(
        'ip',
        ['netns', 'exec', h.netns.name, 'dig', '+short', '@127.0.0.1', '-p', port, 'e2e-a.vm'],
        {
          encoding: 'utf8',
        },
      ).trim();
    expect(dig()).toBe(after!.guestIp);

    await ok(['vm', 'delete', 'e2e-a'], 120_000);
    expect(json<VmView[]>(await ok(['vm', 'list', '--json']))).toEqual([]);
    expect(existsSync(after!.vmDir)).toBe(false);
    expect(listTree(h.vmsDir)).toEqual([]);
    expect(await vmTaps()).toHaveLength(0);
    expect(await iptables()).toBe(tablesBefore);
    expect(dig()).toBe('');
    expect(processAlive(after!.pid!)).toBe(false);
  });
});
