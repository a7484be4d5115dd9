import { AppError } from '../../domain/errors.js';
import { FirecrackerApi, FirecrackerApiError } from './api-client.js';
import { type FcRequest, fcRequests } from './api-types.js';
import type { FirecrackerHandle } from './driver.js';

/** The two files of a Firecracker snapshot. */
export interface SnapshotFiles {
  /** The VM state (devices, vCPUs): Firecracker's `snapshot_path`. */
  statePath: string;
  /** The guest's memory: `mem_file_path` when writing, the `File` backend when loading. */
  memPath: string;
}

/** Pausing or resuming only flips the vCPUs: a few seconds is generous. */
const STATE_TIMEOUT_MS = 10_000;
/** Writing a snapshot copies the guest's memory; even many GiB take well under this. */
const SNAPSHOT_TIMEOUT_MS = 5 * 60_000;

/** Pauses a started VM's vCPUs (PATCH /vm); the guest notices nothing but lost time. */
export function pauseVm(handle: FirecrackerHandle): Promise<void> {
  return send(handle, fcRequests.patchVm({ state: 'Paused' }), STATE_TIMEOUT_MS, 'pause the VM');
}

/** Resumes a paused VM. */
export function resumeVm(handle: FirecrackerHandle): Promise<void> {
  return send(handle, fcRequests.patchVm({ state: 'Resumed' }), STATE_TIMEOUT_MS, 'resume the VM');
}

/**
 * Writes a full snapshot of a paused VM (Firecracker refuses a running one).
 * The files are created or truncated; the caller owns their directory.
 */
export function writeVmSnapshot(handle: FirecrackerHandle, files: SnapshotFiles): Promise<void> {
  const req = fcRequests.createSnapshot({
    snapshot_path: files.statePath,
    mem_file_path: files.memPath,
    snapshot_type: 'Full',
  });
  return send(handle, req, SNAPSHOT_TIMEOUT_MS, 'write a snapshot of the VM');
}

async function send(
  handle: FirecrackerHandle,
  req: FcRequest,
  timeoutMs: number,
  what: string,
): Promise<void> {
  try {
    await new FirecrackerApi(handle.apiSock).send(req, { timeoutMs });
  } catch (err) {
    const why =
      err instanceof FirecrackerApiError ? err.fault : err instanceof Error ? err.message : String(err);
    throw new AppError('operation_failed', `Firecracker (pid ${handle.pid}) could not ${what}: ${why}`, {
      cause: err,
    });
  }
}
