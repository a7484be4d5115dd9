import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { commitStagingDir, copySparse } from '../images/store/artifact-dir.js';
import type { Runner } from '../runner.js';

/** Prefix of the directories snapshots are assembled in (in the state dir's tmp/, removed at daemon start). */
const STAGING_PREFIX = 'snapshot-staging-';
/** The record of a snapshot, beside its files; the directory appears complete (renamed into place) or not at all. */
const RECORD = 'snapshot.json';

/** The files of a snapshot directory. */
const SNAPSHOT_FILES = {
  state: 'vm.state',
  memory: 'vm.mem',
  system: 'system.ext4',
  work: 'work.ext4',
} as const;

const recordSchema = z.object({
  name: z.string(),
  createdAt: z.string(),
  source: z.object({ vmId: z.string(), vmName: z.string() }),
  image: z.string(),
  rootfs: z.string(),
  kernel: z.object({ vmlinux: z.string(), initrd: z.string() }),
  vcpu: z.number().int(),
  memoryMib: z.number().int(),
  diskBytes: z.number().int(),
  /** Bytes the files take on disk (allocated: the disks and memory are sparse). */
  sizeBytes: z.number().int(),
});

export type SnapshotRecord = z.infer<typeof recordSchema>;

/** The paths of a snapshot's files. */
export interface SnapshotFilePaths {
  statePath: string;
  memPath: string;
  systemPath: string;
  workPath: string;
}

/** A snapshot being written: its staging directory and the paths of its files there. */
export interface SnapshotStaging extends SnapshotFilePaths {
  dir: string;
}

function filesIn(dir: string): SnapshotFilePaths {
  return {
    statePath: join(dir, SNAPSHOT_FILES.state),
    memPath: join(dir, SNAPSHOT_FILES.memory),
    systemPath: join(dir, SNAPSHOT_FILES.system),
    workPath: join(dir, SNAPSHOT_FILES.work),
  };
}

/**
 * Snapshots on disk: `<dir>/<name>/` holds the VM state, the memory and a
 * copy of the VM's two disks, with `snapshot.json` as the record. Each is
 * assembled in a staging directory and renamed into place, so after a crash
 * a snapshot is complete or absent; `removeStale` clears what a killed
 * daemon left in staging.
 */
export class SnapshotStore {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    private readonly runner: Runner,
  ) {}

  async stage(name: string): Promise<SnapshotStaging> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.tmpDir, `${STAGING_PREFIX}${name}-`));
    return { dir, ...filesIn(dir) };
  }

  /** Copies a disk into the staging directory, sparse (and reflinked where the filesystem can). */
  copyDisk(from: string, to: string, signal?: AbortSignal): Promise<void> {
    return copySparse(this.runner, from, to, signal);
  }

  /** Writes the record (with the size of the files) and renames the staging directory into place. */
  async commit(staging: SnapshotStaging, record: Omit<SnapshotRecord, 'sizeBytes'>): Promise<SnapshotRecord> {
    const full: SnapshotRecord = { ...record, sizeBytes: await allocatedBytes(staging.dir) };
    await writeFile(join(staging.dir, RECORD), `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
    await commitStagingDir(staging.dir, join(this.dir, record.name), this.dir);
    return full;
  }

  /** Removes a staging directory (a failed or cancelled snapshot). */
  async discard(staging: SnapshotStaging): Promise<void> {
    await rm(staging.dir, { recursive: true, force: true });
  }

  exists(name: string): Promise<boolean> {
    return stat(join(this.dir, name)).then(
      () => true,
      () => false,
    );
  }

  /** Every snapshot, oldest first; a directory without a readable record is skipped. */
  async list(): Promise<SnapshotRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const records = await Promise.all(names.map((n) => this.read(n).catch(() => undefined)));
    return records
      .filter((r): r is SnapshotRecord => r !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  /** One snapshot; AppError('not_found') when there is none by that name. */
  async get(name: string): Promise<SnapshotRecord> {
    try {
      return await this.read(name);
    } catch {
      throw new AppError('not_found', `no snapshot named "${name}"; \`banger vm snapshot list\` shows them`);
    }
  }

  /** The directory of a snapshot's files. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** The paths of a committed snapshot's files. */
  files(name: string): SnapshotFilePaths {
    return filesIn(this.path(name));
  }

  async delete(name: string): Promise<void> {
    await this.get(name);
    await rm(join(this.dir, name), { recursive: true, force: true });
  }

  /** Removes the staging directories a killed daemon left; returns their paths for the log. */
  async removeStale(): Promise<string[]> {
    const names = await readdir(this.tmpDir).catch(() => [] as string[]);
    const stale = names.filter((n) => n.startsWith(STAGING_PREFIX)).map((n) => join(this.tmpDir, n));
    for (const path of stale) await rm(path, { recursive: true, force: true });
    return stale;
  }

  private async read(name: string): Promise<SnapshotRecord> {
    if (name.includes('/') || name.startsWith('.')) throw new Error('not a snapshot name');
    return recordSchema.parse(JSON.parse(await readFile(join(this.dir, name, RECORD), 'utf8')));
  }
}

/** The bytes a directory's files take on disk (st_blocks), not their apparent size. */
async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).blocks * 512;
  return total;
}
