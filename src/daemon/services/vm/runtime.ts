import type { Logger } from '../../../host/logger.js';
import {
  readHandlesFile,
  removeHandlesFile,
  type VmHandles,
  writeHandlesFile,
} from '../../../host/vm/handles-file.js';
import type { ProcessHandle, VmDriver } from './ports.js';

/**
 * The in-memory half of "what is true now" (DESIGN §6), mirrored to each
 * VM's handles.json. One entry per VM whose Firecracker this daemon launched
 * or adopted. When a tracked process exits on its own (guest power-off, a
 * crash, `vm kill`), `onExit` runs once so the service can release what it held.
 */
export class VmRuntime {
  private readonly live = new Map<string, { handles: VmHandles; vmDir: string; unwatch: () => void }>();

  constructor(
    private readonly driver: VmDriver,
    private readonly logger: Logger,
    private readonly onExit: (vmId: string, handles: VmHandles) => void,
    /** Keeps the VM's logs under their size caps while it runs; returns the function that stops that. */
    private readonly watchLogs: (vmDir: string) => () => void = () => () => {},
  ) {}

  get(vmId: string): VmHandles | undefined {
    return this.live.get(vmId)?.handles;
  }

  processHandle(vmId: string): ProcessHandle | undefined {
    const entry = this.live.get(vmId);
    return entry && { ...entry.handles, vmDir: entry.vmDir };
  }

  runningIds(): Set<string> {
    return new Set(this.live.keys());
  }

  /**
   * Records a running VM (file first, so a crash right after still leaves a
   * trace; rewriting it without the `launching` mark is what acknowledges a
   * launch) and watches its process.
   */
  track(vmId: string, vmDir: string, handles: VmHandles): void {
    writeHandlesFile(vmDir, { ...handles, launching: undefined });
    this.live.get(vmId)?.unwatch();
    this.live.set(vmId, { handles, vmDir, unwatch: this.watchLogs(vmDir) });
    this.driver
      .waitExit({ ...handles, vmDir })
      .then(() => {
        if (this.live.get(vmId)?.handles.pid !== handles.pid) return; // stopped deliberately or replaced
        this.logger.info({ vmId, pid: handles.pid }, 'firecracker exited');
        this.onExit(vmId, handles);
      })
      .catch((err: unknown) => this.logger.warn({ vmId, err }, 'watching firecracker failed'));
  }

  /**
   * Records a Firecracker whose launch has begun (handles.json marked
   * `launching`), without tracking it: if the daemon dies before `track`,
   * the next one finds the process and stops it (see adopt-vm.ts).
   */
  recordLaunch(vmDir: string, handles: VmHandles): void {
    writeHandlesFile(vmDir, { ...handles, launching: true });
  }

  /** Drops the VM from memory and removes its handles.json. Idempotent. */
  forget(vmId: string, vmDir: string): void {
    this.live.get(vmId)?.unwatch();
    this.live.delete(vmId);
    removeHandlesFile(vmDir);
  }

  /** What a previous daemon left in the VM dir; see reconcile. */
  readScratch(vmDir: string): VmHandles | undefined {
    return readHandlesFile(vmDir);
  }
}
