import { readFile, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import {
  DEFAULT_IMAGE_NAME,
  type ImageKernel,
  type ImageRecord,
  validateImageName,
} from '../../../domain/image.js';
import { catalogImage } from '../../../domain/image-catalog.js';
import type { Logger } from '../../../host/logger.js';
import type { ImageRepository } from '../../../store/image-repository.js';
import type { BootArtifacts } from './boot-artifacts.js';
import {
  type BuildInput,
  buildImage,
  type CreateContext,
  type PullInput,
  promoteImage,
  pullOciImage,
} from './image-create.js';
import type { KernelService } from './kernel-service.js';
import type { OperationProgress, SharedOperations } from './shared-operations.js';

/** `image register`: host files, used in place (see `promote` to copy them into managed storage). */
export interface RegisterInput {
  name: string;
  rootfs: string;
  workSeed?: string;
  kernel: { kernelRef: string } | { vmlinux: string; initrd: string; modulesDir?: string };
}

export interface ImageDetail {
  image: ImageRecord;
  kernelVersion: string;
  /** Names of the VMs created from this image. */
  usedBy: string[];
}

export interface ImageServiceOptions extends CreateContext {
  images: ImageRepository;
  kernels: KernelService;
  operations: SharedOperations;
  logger: Logger;
  /** Names of the VMs whose image is `name` (VmRepository). */
  vmsUsing(name: string): string[];
}

type Progress = (e: OperationProgress) => void;

/**
 * Images: records in SQLite, files in `imagesDir/<name>/` for managed ones.
 * Creating one (pull, build, promote) assembles it in a staging dir, renames
 * it into place and only then inserts the row, so a failure or a crash never
 * leaves a registered half image (see cleanStaleArtifacts for the files).
 */
export class ImageService {
  constructor(private readonly o: ImageServiceOptions) {}

  list(): ImageRecord[] {
    return this.o.images.list();
  }

  /** The image `name`; AppError not_found naming the commands that make one. */
  get(name: string): ImageRecord {
    validateImageName(name);
    const image = this.o.images.get(name);
    if (!image) {
      throw new AppError(
        'not_found',
        `no image named "${name}"; see \`banger image list\`, or make it with \`banger image pull\` or \`banger image build\``,
      );
    }
    return image;
  }

  show(name: string): ImageDetail {
    const image = this.get(name);
    return { image, kernelVersion: this.kernelOf(image).version, usedBy: this.o.vmsUsing(name) };
  }

  /** Resolves an image name to the files a VM boots; not_found when the image or its kernel is missing. */
  resolveBootArtifacts(imageName: string): BootArtifacts {
    const image = this.get(imageName);
    return {
      image: image.name,
      rootfs: image.rootfs,
      ...(image.workSeed === undefined ? {} : { workSeed: image.workSeed }),
      kernel: this.kernelOf(image),
    };
  }

  /**
   * Returns image `name`, making it when missing: the default image
   * (`debian-bookworm`) is built with the golden builder, an OCI reference
   * (contains `/`, `:` or `@`) is pulled under its derived name. Concurrent
   * callers share one operation and all get its progress.
   */
  async ensureImage(name: string, onProgress: Progress, signal?: AbortSignal): Promise<BootArtifacts> {
    if (/[/:@]/.test(name)) {
      const image = await this.pull({ ref: name, existing: 'reuse' }, onProgress, signal);
      return this.resolveBootArtifacts(image.name);
    }
    validateImageName(name);
    if (this.o.images.get(name)) return this.resolveBootArtifacts(name);
    if (name !== DEFAULT_IMAGE_NAME) this.get(name); // throws not_found with the next step
    await this.build({ name }, onProgress, signal);
    return this.resolveBootArtifacts(name);
  }

  async register(input: RegisterInput): Promise<ImageRecord> {
    const name = validateImageName(input.name);
    this.refuseTaken(name);
    const rootfs = await hostFile(input.rootfs, 'rootfs');
    const workSeed = input.workSeed === undefined ? undefined : await hostFile(input.workSeed, 'work seed');
    let kernel: ImageKernel;
    if ('kernelRef' in input.kernel) {
      kernel = { kind: 'set', name: this.o.kernels.get(input.kernel.kernelRef).name };
    } else {
      const vmlinux = await hostFile(input.kernel.vmlinux, 'kernel');
      const initrd = await hostFile(input.kernel.initrd, 'initrd');
      const modulesDir =
        input.kernel.modulesDir === undefined ? undefined : await hostDir(input.kernel.modulesDir, 'modules');
      const version = await kernelVersionOf(vmlinux, modulesDir);
      kernel = { kind: 'files', vmlinux, initrd, version, ...(modulesDir ? { modulesDir } : {}) };
    }
    const sizeBytes = (await stat(rootfs)).size + (workSeed ? (await stat(workSeed)).size : 0);
    return this.o.images.insert({
      name,
      source: { kind: 'register', rootfs, ...(workSeed ? { workSeed } : {}) },
      managed: false,
      rootfs,
      workSeed,
      kernel,
      sizeBytes,
    });
  }

  /**
   * `image pull`: a catalog name is made as the catalog says (today: the
   * golden build); anything else is an OCI reference, paired with the
   * default kernel set, which is pulled on demand.
   */
  pull(input: PullInput, onProgress: Progress, signal?: AbortSignal): Promise<ImageRecord> {
    // ensureImage never comes here with a catalog name (those have no / : @), so `existing: 'reuse'` does not apply.
    if (catalogImage(input.ref)) return this.build({ name: input.name ?? input.ref }, onProgress, signal);
    return pullOciImage(this.o, input, onProgress, signal);
  }

  build(input: BuildInput, onProgress: Progress, signal?: AbortSignal): Promise<ImageRecord> {
    return buildImage(this.o, input, onProgress, signal);
  }

  promote(name: string, onProgress: Progress, signal?: AbortSignal): Promise<ImageRecord> {
    const image = this.get(name);
    if (image.managed) throw new AppError('conflict', `image ${name} is managed already; nothing to promote`);
    return promoteImage(this.o, image, onProgress, signal);
  }

  /**
   * Deletes the record, then (managed images only) its directory; refused
   * with AppError conflict naming the VMs that use it. A crash between the
   * two leaves an unreferenced directory, which the next start removes.
   */
  async delete(name: string): Promise<void> {
    const image = this.get(name);
    if (this.o.operations.has(`image:${name}`))
      throw new AppError('conflict', `image ${name} is being created; try again when that finishes`);
    const vms = this.o.vmsUsing(name);
    if (vms.length > 0) {
      throw new AppError(
        'conflict',
        `image ${name} is used by VM${vms.length > 1 ? 's' : ''} ${vms.join(', ')}; delete ${vms.length > 1 ? 'them' : 'it'} first`,
      );
    }
    this.o.images.delete(name);
    if (image.managed) await rm(join(this.o.paths.imagesDir, name), { recursive: true, force: true });
    this.o.logger.info({ image: name, managed: image.managed }, 'image deleted');
  }

  private refuseTaken(name: string): void {
    if (this.o.operations.has(`image:${name}`)) {
      throw new AppError(
        'conflict',
        `image ${name} is being created; pick another name or try again when that finishes`,
      );
    }
    if (this.o.images.get(name)) {
      throw new AppError(
        'conflict',
        `an image named "${name}" already exists; pick another --name or \`banger image delete ${name}\``,
      );
    }
  }

  private kernelOf(image: ImageRecord): BootArtifacts['kernel'] {
    const k = image.kernel;
    if (k.kind === 'files') {
      return {
        name: image.name,
        vmlinux: k.vmlinux,
        initrd: k.initrd,
        modulesDir: k.modulesDir ?? '',
        version: k.version,
      };
    }
    try {
      const set = this.o.kernels.get(k.name);
      return {
        name: set.name,
        vmlinux: set.vmlinux,
        initrd: set.initrd,
        modulesDir: set.modulesDir,
        version: set.version,
      };
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_found') {
        throw new AppError(
          'not_found',
          `kernel ${k.name} of image ${image.name} is missing; run \`banger kernel pull ${k.name}\``,
        );
      }
      throw err;
    }
  }
}

/** An absolute path to an existing regular file, or AppError invalid_argument / not_found. */
async function hostFile(path: string, what: string): Promise<string> {
  if (!isAbsolute(path)) throw new AppError('invalid_argument', `${what} path ${path} must be absolute`);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new AppError('not_found', `${what} file ${path} does not exist`);
  if (!st.isFile()) throw new AppError('invalid_argument', `${what} ${path} is not a regular file`);
  return path;
}

async function hostDir(path: string, what: string): Promise<string> {
  if (!isAbsolute(path)) throw new AppError('invalid_argument', `${what} path ${path} must be absolute`);
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new AppError('not_found', `${what} directory ${path} does not exist`);
  if (!st.isDirectory()) throw new AppError('invalid_argument', `${what} ${path} is not a directory`);
  return path;
}

/**
 * The kernel release of host files: the modules directory's name when it
 * looks like one (`/lib/modules/6.1.0-28-cloud-amd64`), else the
 * `Linux version X` banner inside vmlinux, else "unknown".
 */
async function kernelVersionOf(vmlinux: string, modulesDir: string | undefined): Promise<string> {
  const dirName = modulesDir ? basename(modulesDir) : '';
  if (/^\d+\.\d+[\w.+-]*$/.test(dirName)) return dirName;
  const bytes = await readFile(vmlinux);
  const at = bytes.indexOf('Linux version ');
  if (at < 0) return 'unknown';
  const m = /^Linux version (\S+)/.exec(bytes.subarray(at, at + 200).toString('latin1'));
  return m?.[1] ?? 'unknown';
}
