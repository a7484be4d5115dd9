import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../domain/errors.js';

export const KERNEL_MANIFEST = 'kernel.json';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** Where a kernel set came from, recorded so `kernel show` can say so and a rebuild can repeat it. */
const kernelSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('deb'),
    /** Catalog entry name, when fetched through the catalog. */
    catalog: z.string().optional(),
    package: z.string().optional(),
    packageVersion: z.string().optional(),
    url: z.string().optional(),
    debSha256: sha256.optional(),
  }),
  z.object({ kind: z.literal('rootfs'), root: z.string() }),
]);

export type KernelSource = z.infer<typeof kernelSourceSchema>;

/**
 * `kernel.json`, written last into a kernel set directory (`vmlinux`,
 * `initrd.img`, `modules/`). Parsed with this schema whenever it is read.
 */
export const kernelManifestSchema = z.object({
  schemaVersion: z.literal(1),
  /** Kernel release, `uname -r` in the guest, and the name of /lib/modules/<version>. */
  version: z.string().min(1),
  vmlinux: z.object({
    sha256,
    size: z.number().int().positive(),
    /** How the distribution compressed it in vmlinuz. */
    compression: z.string(),
    pvhEntry: z.number().int().nonnegative(),
  }),
  initrd: z.object({
    sha256,
    size: z.number().int().positive(),
    modules: z.array(z.string()),
    builtin: z.array(z.string()),
  }),
  source: kernelSourceSchema,
  createdAt: z.string(),
});

export type KernelManifest = z.infer<typeof kernelManifestSchema>;

/** Reads and validates a kernel set's manifest; a missing or invalid one means the set is unusable. */
export async function readKernelManifest(dir: string): Promise<KernelManifest> {
  const path = join(dir, KERNEL_MANIFEST);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined)
    throw new AppError('not_found', `${path} does not exist; the kernel set is incomplete`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError(
      'operation_failed',
      `${path} is not valid JSON; delete the kernel set and pull it again`,
    );
  }
  const parsed = kernelManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError(
      'operation_failed',
      `${path} is invalid (${parsed.error.issues[0]?.message ?? 'schema'}); delete the kernel set and pull it again`,
    );
  }
  return parsed.data;
}
