import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import { validateKernelName } from '../../../domain/image.js';
import { kernelCatalog } from '../../../host/images/kernel/catalog.js';
import {
  KERNEL_MANIFEST,
  type KernelManifest,
  kernelManifestSchema,
} from '../../../host/images/kernel/manifest.js';
import type { ImageRepository } from '../../../store/image-repository.js';
import type { OperationProgress, SharedOperations } from './shared-operations.js';

/** The files of one kernel set, as the VM service hands them to Firecracker. */
interface KernelFiles {
  name: string;
  vmlinux: string;
  initrd: string;
  modulesDir: string;
  version: string;
}

export interface KernelSet extends KernelFiles {
  dir: string;
  manifest: KernelManifest;
  /** Images booting this kernel set. */
  usedBy: string[];
}

/** Fetches catalog kernel `name` and builds its kernel set at `dest` (atomically). */
export type PullKernelFn = (o: {
  name: string;
  dest: string;
  onProgress: (e: OperationProgress) => void;
  signal: AbortSignal;
}) => Promise<KernelManifest>;

/**
 * Kernel sets: directories under the kernels dir, each renamed into place
 * complete with its kernel.json. That directory is the record; SQLite holds
 * only which images reference a set (images.kernel_ref).
 */
export class KernelService {
  constructor(
    private readonly kernelsDir: string,
    private readonly images: ImageRepository,
    private readonly operations: SharedOperations,
    private readonly pullKernel: PullKernelFn,
  ) {}

  /** Every usable kernel set, by name. Directories without a valid kernel.json are skipped. */
  list(): KernelSet[] {
    const names = existsSync(this.kernelsDir) ? readdirSync(this.kernelsDir) : [];
    return names
      .filter((n) => !n.startsWith('.'))
      .sort()
      .flatMap((n) => {
        const set = this.read(n);
        return set ? [set] : [];
      });
  }

  /** The catalog, marking which entries are pulled already. */
  available(): { name: string; description: string; pulled: boolean }[] {
    return kernelCatalog.map((k) => ({
      name: k.name,
      description: k.description,
      pulled: existsSync(join(this.kernelsDir, k.name, KERNEL_MANIFEST)),
    }));
  }

  /** The kernel set `name`; AppError not_found with the next step when it is missing or broken. */
  get(name: string): KernelSet {
    validateKernelName(name);
    const set = this.read(name);
    if (!set) {
      const inCatalog = kernelCatalog.some((k) => k.name === name);
      throw new AppError(
        'not_found',
        inCatalog
          ? `kernel ${name} is not pulled; run \`banger kernel pull ${name}\``
          : `no kernel named ${name}; see \`banger kernel list --available\``,
      );
    }
    return set;
  }

  /**
   * Pulls catalog kernel `name`. With `existing: 'reuse'` a set already
   * present is returned (on-demand pairing); with 'refuse' it is a conflict
   * (`kernel pull` asked twice). Concurrent pulls of one name share one download.
   */
  async pull(
    name: string,
    onProgress: (e: OperationProgress) => void,
    opts: { existing: 'reuse' | 'refuse'; signal?: AbortSignal },
  ): Promise<KernelSet> {
    validateKernelName(name);
    if (!kernelCatalog.some((k) => k.name === name)) {
      const known = kernelCatalog.map((k) => k.name).join(', ');
      throw new AppError('not_found', `no kernel named ${name} in the catalog (available: ${known})`);
    }
    const present = this.read(name);
    if (present) {
      if (opts.existing === 'reuse') return present;
      throw new AppError(
        'conflict',
        `kernel ${name} is pulled already; \`banger kernel delete ${name}\` first to pull it again`,
      );
    }
    const dest = join(this.kernelsDir, name);
    await this.operations.run(
      { key: `kernel:${name}`, what: `kernel ${name} is being pulled` },
      onProgress,
      async (emit, signal) => {
        if (this.read(name)) return;
        // A directory without kernel.json is not a set (set dirs are renamed in complete): clear it.
        await rm(dest, { recursive: true, force: true });
        emit({ stage: 'kernel', message: `pulling kernel ${name}` });
        await this.pullKernel({ name, dest, onProgress: emit, signal });
      },
      opts.signal,
    );
    return this.get(name);
  }

  /** Deletes kernel set `name`; refused (conflict) while an image boots it. */
  async delete(name: string): Promise<void> {
    validateKernelName(name);
    if (this.operations.has(`kernel:${name}`)) {
      throw new AppError('conflict', `kernel ${name} is being pulled; try again when that finishes`);
    }
    const users = this.images.usingKernel(name);
    if (users.length > 0) {
      throw new AppError(
        'conflict',
        `kernel ${name} is used by image${users.length > 1 ? 's' : ''} ${users.join(', ')}; delete ${users.length > 1 ? 'them' : 'it'} first`,
      );
    }
    const dir = join(this.kernelsDir, name);
    if (!existsSync(dir))
      throw new AppError('not_found', `no kernel named ${name}; see \`banger kernel list\``);
    await rm(dir, { recursive: true, force: true });
  }

  private read(name: string): KernelSet | undefined {
    const dir = join(this.kernelsDir, name);
    let text: string;
    try {
      text = readFileSync(join(dir, KERNEL_MANIFEST), 'utf8');
    } catch {
      return undefined;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = kernelManifestSchema.safeParse(json);
    if (!parsed.success) return undefined;
    return {
      name,
      dir,
      vmlinux: join(dir, 'vmlinux'),
      initrd: join(dir, 'initrd.img'),
      modulesDir: join(dir, 'modules'),
      version: parsed.data.version,
      manifest: parsed.data,
      usedBy: this.images.usingKernel(name),
    };
  }
}
