import { z } from 'zod';

/** The snapshots part of the daemon contract: `vm snapshot` and its list, show and delete. */

const snapshotInfo = z.object({
  name: z.string(),
  createdAt: z.string(),
  /** The VM it was taken of (which may have been deleted since). */
  source: z.object({ vmId: z.string(), vmName: z.string() }),
  image: z.string(),
  vcpu: z.number().int(),
  memoryMib: z.number().int(),
  diskBytes: z.number().int(),
  /** Bytes its files take on disk (memory and disk copies are sparse). */
  sizeBytes: z.number().int(),
  /** The directory holding its files. */
  path: z.string(),
});
export type SnapshotInfo = z.infer<typeof snapshotInfo>;

export interface SnapshotList {
  snapshots: SnapshotInfo[];
}

export interface SnapshotResult {
  snapshot: SnapshotInfo;
}

export const createSnapshotRequest = z.strictObject({ name: z.string().optional() });
export type CreateSnapshotRequest = z.infer<typeof createSnapshotRequest>;

export const forkVmRequest = z.strictObject({
  name: z.string().optional(),
  nat: z.boolean().optional(),
  /** false: return once restored, without waiting for SSH. */
  wait: z.boolean().optional(),
});
export type ForkVmRequest = z.infer<typeof forkVmRequest>;
