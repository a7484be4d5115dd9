import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { bootArgs } from '../../../domain/boot-args.js';
import { AppError } from '../../../domain/errors.js';
import { guestNetwork } from '../../../domain/network.js';
import type { VmRecord } from '../../../domain/vm.js';
import type { EmitStage } from '../../ndjson.js';
import type { BootArtifacts, LaunchSpec, ProcessHandle, VmNetwork } from './ports.js';
import type { VmRuntime } from './runtime.js';
import type { Step } from './steps.js';
import type { VmServiceDeps } from './vm-service.js';

/** The VM's hybrid vsock socket in its directory, where banger's guest agent is reached. */
export const VSOCK_SOCKET = 'vsock.sock';

/**
 * The steps that start a VM: its TAP (and NAT) on the bridge, then its
 * Firecracker configured and booted. Undo kills the process and releases
 * the TAP and rules. `firstStart`: part of a create, so the VM has never run.
 * `restore`: a fork, whose Firecracker loads this snapshot instead of booting.
 */
export function startSteps(
  deps: VmServiceDeps,
  runtime: VmRuntime,
  artifacts: BootArtifacts,
  getVm: () => VmRecord,
  dir: string,
  firstStart = false,
  restore?: { statePath: string; memPath: string },
): Step[] {
  let network: VmNetwork | undefined;
  let tap: { tap: string; mac: string } | undefined;
  return [
    {
      name: 'network',
      message: 'attaching a TAP to the bridge',
      run: async () => {
        const vm = getVm();
        network = await deps.network();
        tap = await network.attach({ vmId: vm.id, guestIp: vm.guestIp, nat: vm.nat, firstStart });
      },
      undo: async () => {
        await network?.detach(getVm().id);
      },
    },
    {
      name: 'firecracker',
      message: restore ? 'restoring the VM from the snapshot' : 'booting the VM',
      run: async () => {
        const vm = getVm();
        if (!tap) throw new AppError('internal', 'start: no TAP attached');
        const net = guestNetwork(deps.config.cidr, deps.config.bridgeIp, vm.guestIp);
        const spec: LaunchSpec = {
          vmId: vm.id,
          vmDir: dir,
          firecrackerBin: await deps.firecrackerBin(),
          vcpu: vm.vcpu,
          memoryMib: vm.memoryMib,
          kernel: { vmlinux: artifacts.kernel.vmlinux, initrd: artifacts.kernel.initrd },
          bootArgs: bootArgs({
            address: net.address,
            gateway: net.gateway,
            dns: [...deps.guestDns],
            hostname: vm.name,
          }),
          drives: [
            { id: 'rootfs', path: artifacts.rootfs, readOnly: true, isRoot: true },
            // Relative to the VM dir, Firecracker's working directory: a snapshot records these
            // paths, so a VM restored from it in its own dir opens its own copies of the disks.
            { id: 'system', path: 'system.ext4', readOnly: false, isRoot: false },
            { id: 'work', path: 'work.ext4', readOnly: false, isRoot: false },
          ],
          net: tap,
          // Guest CID 3 (the first non-reserved one): each VM's vsock is its own Unix socket.
          vsock: { cid: 3, udsPath: join(dir, VSOCK_SOCKET) },
          ...(restore ? { restore } : {}),
        };
        const attached = tap.tap;
        const startedAt = new Date().toISOString();
        const handles = (h: ProcessHandle) => ({
          pid: h.pid,
          startTime: h.startTime,
          apiSock: h.apiSock,
          tap: attached,
          startedAt,
        });
        // Recorded before any API call, so a daemon killed mid-launch leaves the process findable.
        const handle = await deps.driver.launch(spec, undefined, {
          onSpawned: async (h) => {
            runtime.recordLaunch(dir, handles(h));
            await deps.testPause?.('launch:spawned');
          },
        });
        runtime.track(vm.id, dir, handles(handle));
      },
      undo: async () => {
        const id = getVm().id;
        const handle = runtime.processHandle(id);
        runtime.forget(id, dir);
        if (handle) await deps.driver.kill(handle, 'SIGKILL');
      },
    },
  ];
}

/**
 * Waits for the guest's SSH port. A VM whose Firecracker exits first, or
 * that does not answer in time, fails with the tail of its console log.
 */
export async function waitUntilReady(
  deps: VmServiceDeps,
  vm: VmRecord,
  dir: string,
  emit: EmitStage,
  signal?: AbortSignal,
  /** Resolves if the VM's process exits: waiting stops at once. */
  exited?: Promise<void>,
): Promise<void> {
  emit({ stage: 'ssh', message: `waiting for SSH on ${vm.guestIp}` });
  const started = Date.now();
  const aborter = new AbortController();
  const onAbort = () => aborter.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Cancelled during the last step (the boot): the listener above never fires for a signal aborted already.
    if (signal?.aborted) throw new AppError('cancelled', `waiting for ${vm.name} cancelled`);
    const ready = deps.readiness.waitForSsh(vm.guestIp, {
      timeoutMs: deps.readyTimeoutMs,
      signal: aborter.signal,
    });
    const died = exited?.then(() => {
      throw new AppError('operation_failed', 'stopped');
    });
    await (died ? Promise.race([ready, died]) : ready);
  } catch (err) {
    aborter.abort();
    if (err instanceof AppError && err.message === 'stopped') {
      const tail = await consoleTail(join(dir, 'console.log'));
      throw new AppError(
        'operation_failed',
        `${vm.name} stopped while booting. Last console lines:\n${tail}`,
      );
    }
    if (signal?.aborted) throw new AppError('cancelled', `waiting for ${vm.name} cancelled`);
    const tail = await consoleTail(join(dir, 'console.log'));
    const why = err instanceof AppError && err.code === 'timeout' ? 'timeout' : 'operation_failed';
    throw new AppError(
      why,
      `${vm.name} did not answer on SSH (${vm.guestIp}:22) within ${Math.round((Date.now() - started) / 1000)}s; ` +
        `the VM is left running for inspection (\`banger vm logs --console ${vm.name}\`). Last console lines:\n${tail}`,
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  deps.logger.info({ vmId: vm.id, ms: Date.now() - started }, 'guest ready');
}

/** The last lines of a console log, for error messages. */
async function consoleTail(path: string, lines = 15, maxBytes = 8192): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const { size } = await file.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await file.read(buffer, 0, length, size - length);
      return buffer
        .toString('utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim())
        .slice(-lines)
        .map((l) => `  | ${l}`)
        .join('\n');
    } finally {
      await file.close();
    }
  } catch {
    return '  (no console output)';
  }
}
