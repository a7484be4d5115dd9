import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { ImageKernel, ImageRecord, ImageSource } from '../domain/image.js';
import type { Db } from './db.js';

const sourceDetail = {
  build: z.object({
    packages: z.array(z.string()),
    packagesFile: z.string(),
    mode: z.enum(['unshare', 'root']),
  }),
  oci: z.object({ reference: z.string(), manifestDigest: z.string() }),
  register: z.object({ rootfs: z.string(), workSeed: z.string().optional() }),
} as const;

const kernelFiles = z.object({
  vmlinux: z.string(),
  initrd: z.string(),
  modulesDir: z.string().optional(),
  version: z.string(),
});

const imageRow = z.object({
  name: z.string(),
  source_kind: z.enum(['build', 'oci', 'register']),
  source_detail: z.string(),
  managed: z.union([z.literal(0), z.literal(1)]),
  rootfs: z.string(),
  work_seed: z.string().nullable(),
  kernel_ref: z.string().nullable(),
  kernel_files: z.string().nullable(),
  size_bytes: z.number().int(),
  created_at: z.string(),
});

function parseSource(kind: ImageSource['kind'], detail: string): ImageSource {
  const json: unknown = JSON.parse(detail);
  switch (kind) {
    case 'build':
      return { kind, ...sourceDetail.build.parse(json) };
    case 'oci':
      return { kind, ...sourceDetail.oci.parse(json) };
    case 'register': {
      const d = sourceDetail.register.parse(json);
      return { kind, rootfs: d.rootfs, ...(d.workSeed === undefined ? {} : { workSeed: d.workSeed }) };
    }
  }
}

function parseKernel(ref: string | null, files: string | null): ImageKernel {
  if (ref !== null) return { kind: 'set', name: ref };
  const f = kernelFiles.parse(JSON.parse(files ?? 'null'));
  return {
    kind: 'files',
    vmlinux: f.vmlinux,
    initrd: f.initrd,
    version: f.version,
    ...(f.modulesDir === undefined ? {} : { modulesDir: f.modulesDir }),
  };
}

function toRecord(raw: unknown): ImageRecord {
  const r = imageRow.parse(raw);
  return {
    name: r.name,
    source: parseSource(r.source_kind, r.source_detail),
    managed: r.managed === 1,
    rootfs: r.rootfs,
    workSeed: r.work_seed ?? undefined,
    kernel: parseKernel(r.kernel_ref, r.kernel_files),
    sizeBytes: r.size_bytes,
    createdAt: r.created_at,
  };
}

export type NewImage = Omit<ImageRecord, 'createdAt'>;

/** Image records. Rows are parsed at this boundary; callers only see ImageRecord. */
export class ImageRepository {
  constructor(private readonly db: Db) {}

  /** Inserts an image; AppError('conflict') when the name is taken, and nothing is written then. */
  insert(image: NewImage, now = new Date()): ImageRecord {
    const { kind, ...detail } = image.source;
    const kernel = image.kernel;
    const insert = this.db.transaction(() => {
      if (this.get(image.name)) {
        throw new AppError(
          'conflict',
          `an image named "${image.name}" already exists; pick another --name or \`banger image delete ${image.name}\``,
        );
      }
      this.db
        .prepare(
          `INSERT INTO images (name, source_kind, source_detail, managed, rootfs, work_seed, kernel_ref, kernel_files, size_bytes, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          image.name,
          kind,
          JSON.stringify(detail),
          image.managed ? 1 : 0,
          image.rootfs,
          image.workSeed ?? null,
          kernel.kind === 'set' ? kernel.name : null,
          kernel.kind === 'files' ? JSON.stringify({ ...kernel, kind: undefined }) : null,
          image.sizeBytes,
          now.toISOString(),
        );
    });
    insert.immediate();
    const created = this.get(image.name);
    if (!created) throw new AppError('internal', `image ${image.name} vanished right after insert`);
    return created;
  }

  get(name: string): ImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM images WHERE name = ?').get(name);
    return row === undefined ? undefined : toRecord(row);
  }

  list(): ImageRecord[] {
    return this.db.prepare('SELECT * FROM images ORDER BY name').all().map(toRecord);
  }

  /** Names of the images that boot the kernel set `kernel`. */
  usingKernel(kernel: string): string[] {
    return (
      this.db.prepare('SELECT name FROM images WHERE kernel_ref = ? ORDER BY name').all(kernel) as {
        name: string;
      }[]
    ).map((r) => r.name);
  }

  /**
   * Replaces a registered image's files with managed copies (`image promote`)
   * in one statement; AppError('not_found') when the image is gone.
   */
  markManaged(name: string, files: Pick<ImageRecord, 'rootfs' | 'workSeed' | 'kernel'>): ImageRecord {
    const kernel = files.kernel;
    const changed = this.db
      .prepare(
        'UPDATE images SET managed = 1, rootfs = ?, work_seed = ?, kernel_ref = ?, kernel_files = ? WHERE name = ?',
      )
      .run(
        files.rootfs,
        files.workSeed ?? null,
        kernel.kind === 'set' ? kernel.name : null,
        kernel.kind === 'files' ? JSON.stringify({ ...kernel, kind: undefined }) : null,
        name,
      ).changes;
    const updated = this.get(name);
    if (changed === 0 || !updated)
      throw new AppError('not_found', `no image named "${name}"; see \`banger image list\``);
    return updated;
  }

  /** Deletes the record. Idempotent. */
  delete(name: string): void {
    this.db.prepare('DELETE FROM images WHERE name = ?').run(name);
  }
}
