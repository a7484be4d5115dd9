import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import { type VmRecord, validateResourceName } from '../../../domain/vm.js';
import { FirecrackerApi } from '../../../host/firecracker/api-client.js';
import { pauseVm, resumeVm, writeVmSnapshot } from '../../../host/firecracker/snapshot.js';
import type {
  SnapshotRecord,
  SnapshotStaging,
  SnapshotStore,
} from '../../../host/snapshots/snapshot-store.js';
import type { ProcessHandle } from './ports.js';
import type { Step } from './steps.js';

/** What taking a snapshot needs from the VM service. */
export interface SnapshotContext {
  store: SnapshotStore;
  vmDir: string;
  handle: ProcessHandle;
  artifacts: { image: string; rootfs: string; kernel: { vmlinux: string; initrd: string } };
}

/** `<vm>-<UTC date>-<time>`, e.g. dev-20261205-191500: a default name that sorts by time. */
export function defaultSnapshotName(vmName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${vmName.slice(0, 63 - stamp.length - 1)}-${stamp}`;
}

/** A snapshot name the user gave: the same rules as VM names (it names a directory). */
export function validateSnapshotName(name: string): string {
  return validateResourceName('snapshot', name);
}

/** What a capture wrote, for a commit (a snapshot) or a restore (a fork from a running VM). */
export interface Capture {
  steps: Step[];
  /** The staging directory and its files; throws before the first step ran. */
  staging(): SnapshotStaging;
}

/**
 * Captures a running VM (the caller holds its lock): pause it, write its
 * state and memory (Firecracker), copy its two disks while it is paused (so
 * they match the memory: crash-consistent), resume it. A failure or cancel
 * resumes the VM and removes what was written; a daemon killed half-way
 * leaves a staging directory (removed at the next start) and possibly a
 * paused VM (resumed then, see resumePausedVms).
 */
export function captureSteps(vm: VmRecord, label: string, ctx: SnapshotContext): Capture {
  let staging: SnapshotStaging | undefined;
  let paused = false;
  const resume = async () => {
    if (!paused) return;
    await resumeVm(ctx.handle);
    paused = false;
  };
  const steps: Step[] = [
    {
      name: 'stage',
      message: 'preparing the snapshot directory',
      run: async () => {
        staging = await ctx.store.stage(label);
      },
      undo: async () => {
        if (staging) await ctx.store.discard(staging);
      },
    },
    {
      name: 'pause',
      message: `pausing ${vm.name}`,
      run: async () => {
        await pauseVm(ctx.handle);
        paused = true;
      },
      undo: resume,
    },
    {
      name: 'memory',
      message: `writing the state and memory (${vm.memoryMib} MiB)`,
      run: async () => {
        const s = mustStage(staging);
        await writeVmSnapshot(ctx.handle, { statePath: s.statePath, memPath: s.memPath });
      },
    },
    {
      name: 'disks',
      message: 'copying the system and work disks',
      run: async () => {
        const s = mustStage(staging);
        await ctx.store.copyDisk(join(ctx.vmDir, 'system.ext4'), s.systemPath);
        await ctx.store.copyDisk(join(ctx.vmDir, 'work.ext4'), s.workPath);
      },
    },
    { name: 'resume', message: `resuming ${vm.name}`, run: resume },
  ];
  return { steps, staging: () => mustStage(staging) };
}

/** `vm snapshot`: a capture, then the commit that makes it the snapshot `name`. */
export function snapshotSteps(
  vm: VmRecord,
  name: string,
  ctx: SnapshotContext,
  done: (record: SnapshotRecord) => void,
): Step[] {
  const capture = captureSteps(vm, name, ctx);
  return [
    ...capture.steps,
    {
      name: 'commit',
      message: `saving snapshot ${name}`,
      run: async () => {
        done(
          await ctx.store.commit(capture.staging(), {
            name,
            createdAt: new Date().toISOString(),
            source: { vmId: vm.id, vmName: vm.name },
            image: ctx.artifacts.image,
            rootfs: ctx.artifacts.rootfs,
            kernel: { vmlinux: ctx.artifacts.kernel.vmlinux, initrd: ctx.artifacts.kernel.initrd },
            vcpu: vm.vcpu,
            memoryMib: vm.memoryMib,
            diskBytes: vm.diskBytes,
          }),
        );
      },
    },
  ];
}

function mustStage(staging: SnapshotStaging | undefined): SnapshotStaging {
  if (!staging) throw new AppError('internal', 'snapshot: no staging directory');
  return staging;
}

/**
 * Daemon start, after adoption: a VM left paused by a daemon killed during
 * `vm snapshot` is resumed (nothing else pauses VMs). Returns the ids resumed.
 */
export async function resumePausedVms(handles: { id: string; handle: ProcessHandle }[]): Promise<string[]> {
  const resumed: string[] = [];
  for (const { id, handle } of handles) {
    const info = await new FirecrackerApi(handle.apiSock)
      .describeInstance({ timeoutMs: 2000 })
      .catch(() => undefined);
    if (info?.state !== 'Paused') continue;
    await resumeVm(handle).catch(() => undefined);
    resumed.push(id);
  }
  return resumed;
}

/** Refuses a snapshot of a VM that is not running: Firecracker snapshots only a started VM. */
export function mustBeRunning(vm: VmRecord, handle: ProcessHandle | undefined): ProcessHandle {
  if (!handle) {
    throw new AppError(
      'conflict',
      `VM ${vm.name} is not running; a snapshot holds a running VM's memory: \`banger vm start ${vm.name}\` first`,
    );
  }
  return handle;
}
