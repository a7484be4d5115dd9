import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * What is true about a running VM right now: its Firecracker process and
 * TAP. Never stored in SQLite (DESIGN §6); kept in the daemon's memory and
 * in `<vm dir>/handles.json`, so a restarted daemon can verify and adopt the
 * process, or release what a dead one held.
 */
const vmHandles = z.object({
  pid: z.number().int().positive(),
  /** Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22): tells PID reuse apart. */
  startTime: z.number().int().nonnegative(),
  apiSock: z.string(),
  tap: z.string(),
  /** When the VM was started (ISO 8601), for uptime across daemon restarts. */
  startedAt: z.string(),
  /**
   * Set from Firecracker's spawn until its launch (configuration and boot)
   * completed. A daemon that finds it set died mid-launch: that process was
   * never acknowledged, so it is stopped rather than adopted.
   */
  launching: z.literal(true).optional(),
});
export type VmHandles = z.infer<typeof vmHandles>;

export const HANDLES_FILE = 'handles.json';

/** Writes handles atomically (temp file + rename), mode 0600. */
export function writeHandlesFile(vmDir: string, handles: VmHandles): void {
  const target = join(vmDir, HANDLES_FILE);
  const tmp = `${target}.tmp-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(handles)}\n`, { mode: 0o600 });
  renameSync(tmp, target);
}

/**
 * Reads the scratch file. Missing or unparseable (a crash mid-write cannot
 * produce that thanks to the rename, but a user might) → undefined: the
 * caller then treats the VM as not running.
 */
export function readHandlesFile(vmDir: string): VmHandles | undefined {
  let text: string;
  try {
    text = readFileSync(join(vmDir, HANDLES_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = vmHandles.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Idempotent. */
export function removeHandlesFile(vmDir: string): void {
  rmSync(join(vmDir, HANDLES_FILE), { force: true });
}
