import { describe, expect, it } from 'vitest';
import { firecrackerCmdlineBytes, KERNEL_CMDLINE_MAX } from '../../domain/boot-args.js';
import { errorOf } from '../../testing/app-error.js';
import type { VmLaunchSpec } from './driver.js';
import { checkLaunchSpec, launchRequests, SOCKET_PATH_MAX, vmFiles } from './launch-plan.js';

const spec = (over: Partial<VmLaunchSpec> = {}): VmLaunchSpec => ({
  vmId: 'abcdef0123456789',
  vmDir: '/s/vms/abcdef0123456789',
  firecrackerBin: '/bin/fc',
  vcpu: 1,
  memoryMib: 256,
  kernel: { vmlinux: '/k/vmlinux', initrd: '/k/initrd' },
  bootArgs: 'console=ttyS0',
  drives: [
    { id: 'rootfs', path: '/i/rootfs.ext4', readOnly: true, isRoot: true },
    { id: 'work', path: '/v/work.ext4', readOnly: false, isRoot: false },
  ],
  net: { tap: 'tap0', mac: '06:00:00:00:00:01' },
  ...over,
});

describe('launch plan', () => {
  it('puts every file Firecracker writes in the VM dir', () => {
    expect(vmFiles('/d')).toEqual({
      apiSock: '/d/firecracker.sock',
      log: '/d/firecracker.log',
      previousLog: '/d/firecracker.log.1',
      metrics: '/d/metrics.json',
      console: '/d/console.log',
    });
  });

  it('configures the logger first, keeps the drive order and starts last, without vsock when none is asked', () => {
    const reqs = launchRequests(spec());
    expect(reqs[0]?.body).toEqual({
      log_path: '/s/vms/abcdef0123456789/firecracker.log',
      level: 'Info',
      show_level: true,
      show_log_origin: false,
    });
    expect(reqs.filter((r) => r.operationId === 'putGuestDriveByID').map((r) => r.path)).toEqual([
      '/drives/rootfs',
      '/drives/work',
    ]);
    expect(reqs.some((r) => r.operationId === 'putGuestVsock')).toBe(false);
    expect(reqs.at(-1)?.body).toEqual({ action_type: 'InstanceStart' });
  });

  it('accepts a socket path of exactly the limit and refuses one byte more', () => {
    const dirFor = (sockLen: number) => `/${'d'.repeat(sockLen - '/firecracker.sock'.length - 1)}`;
    expect(vmFiles(dirFor(SOCKET_PATH_MAX)).apiSock).toHaveLength(SOCKET_PATH_MAX);
    expect(() => checkLaunchSpec(spec({ vmDir: dirFor(SOCKET_PATH_MAX) }))).not.toThrow();
    const err = errorOf(() => checkLaunchSpec(spec({ vmDir: dirFor(SOCKET_PATH_MAX + 1) })));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('108 bytes, over the 107-byte limit of Unix socket paths');
    const vsock = errorOf(() => checkLaunchSpec(spec({ vsock: { cid: 3, udsPath: `/${'v'.repeat(120)}` } })));
    expect(vsock.message).toContain('the vsock socket');
  });

  it('refuses ids Firecracker would refuse', () => {
    expect(errorOf(() => checkLaunchSpec(spec({ vmId: 'a/b' }))).message).toContain('instance id');
    const drives = [{ id: 'bad-id', path: '/x', readOnly: false, isRoot: false }];
    expect(errorOf(() => checkLaunchSpec(spec({ drives }))).message).toContain('drive id "bad-id"');
    const roots = [
      { id: 'a', path: '/x', readOnly: false, isRoot: true },
      { id: 'b', path: '/y', readOnly: false, isRoot: true },
    ];
    expect(errorOf(() => checkLaunchSpec(spec({ drives: roots }))).message).toContain('one drive');
  });

  it("refuses boot args that would not fit Firecracker's command line with this spec's devices", () => {
    // This spec: a read-only root and one more drive, eth0, and (here) vsock: 4 virtio devices.
    const vsock = { cid: 3, udsPath: '/s/v.sock' };
    const devices = { root: { readOnly: true }, virtioDevices: 4 };
    const room = KERNEL_CMDLINE_MAX - firecrackerCmdlineBytes('', devices);
    expect(() => checkLaunchSpec(spec({ vsock, bootArgs: 'x'.repeat(room) }))).not.toThrow();
    const err = errorOf(() => checkLaunchSpec(spec({ vsock, bootArgs: 'x'.repeat(room + 1) })));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('Firecracker allows 2048');
    // Without vsock one device fewer: 35 bytes more room.
    expect(() => checkLaunchSpec(spec({ bootArgs: 'x'.repeat(room + 35) }))).not.toThrow();
  });
});
