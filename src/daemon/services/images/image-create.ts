import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AppError } from '../../../domain/errors.js';
import {
  DEFAULT_IMAGE_NAME,
  DEFAULT_KERNEL_NAME,
  type ImageKernel,
  type ImageRecord,
  validateImageName,
} from '../../../domain/image.js';
import { parseSize } from '../../../domain/size.js';
import { formatReference, parseReference, type pullImage } from '../../../host/images/oci/index.js';
import {
  commitStagingDir,
  copySparse,
  copyTree,
  createStagingDir,
} from '../../../host/images/store/artifact-dir.js';
import type { Logger } from '../../../host/logger.js';
import type { BangerPaths } from '../../../host/paths.js';
import type { Runner } from '../../../host/runner.js';
import type { ImageRepository, NewImage } from '../../../store/image-repository.js';
import type { BuildGoldenFn } from './golden-builder.js';
import type { KernelService } from './kernel-service.js';
import type { OperationProgress, SharedOperations } from './shared-operations.js';

const DEFAULT_BUILD_SIZE = '4G';

/** What creating an image needs; the composition root supplies the real parts, tests the fakes. */
export interface CreateContext {
  paths: Pick<BangerPaths, 'imagesDir' | 'tmpDir' | 'cacheDir' | 'stateDir'>;
  runner: Runner;
  logger: Logger;
  images: ImageRepository;
  kernels: KernelService;
  operations: SharedOperations;
  pullOci: typeof pullImage;
  buildGolden: BuildGoldenFn;
  /** images/debian-bookworm/packages.txt of the installed banger. */
  defaultPackagesFile: string | undefined;
}

export interface PullInput {
  ref: string;
  name?: string;
  insecure?: boolean;
  /** 'reuse' returns an existing image of that name (ensureImage); default 'refuse' (conflict). */
  existing?: 'reuse' | 'refuse';
}

export interface BuildInput {
  name?: string;
  packagesFile?: string;
  sizeBytes?: number;
}

type Progress = (e: OperationProgress) => void;

/** The image name a reference gets without --name: `docker.io/library/alpine:3.20` → `alpine-3-20`. */
export function imageNameForReference(ref: string): string {
  const parsed = parseReference(ref);
  const last = parsed.repository.split('/').at(-1) ?? 'image';
  const suffix = parsed.digest ? parsed.digest.slice('sha256:'.length, 'sha256:'.length + 12) : parsed.tag;
  const raw = `${last}-${suffix ?? 'latest'}`.toLowerCase();
  const name =
    raw
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 59)
      .replace(/-+$/, '') || 'image';
  // `debian:bookworm` must not take the golden image's name: `vm run` would boot it by default.
  return name === DEFAULT_IMAGE_NAME ? `${name}-oci` : name;
}

function taken(name: string): AppError {
  return new AppError(
    'conflict',
    `an image named "${name}" already exists; pick another --name or \`banger image delete ${name}\``,
  );
}

/**
 * Runs `assemble` in a fresh staging dir, renames the staging dir to
 * `imagesDir/<name>` and inserts the row built from the final paths. The
 * staging dir is removed whatever happens; if the insert fails the renamed
 * directory is removed again, so there is never a row without files or files without a row.
 */
async function createManaged(
  ctx: CreateContext,
  name: string,
  assemble: (staging: string) => Promise<(final: string) => NewImage>,
): Promise<ImageRecord> {
  const staging = await createStagingDir(ctx.paths.tmpDir, name);
  const final = join(ctx.paths.imagesDir, name);
  try {
    const recordOf = await assemble(staging);
    if (ctx.images.get(name)) throw taken(name);
    await commitStagingDir(staging, final, ctx.paths.imagesDir);
    try {
      return ctx.images.insert(recordOf(final));
    } catch (err) {
      await rm(final, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function pullOciImage(
  ctx: CreateContext,
  input: PullInput,
  onProgress: Progress,
  signal?: AbortSignal,
): Promise<ImageRecord> {
  const reference = formatReference(parseReference(input.ref));
  const name = validateImageName(input.name ?? imageNameForReference(input.ref));
  const existing = ctx.images.get(name);
  if (existing) {
    if (input.existing === 'reuse') return existing;
    throw taken(name);
  }
  return ctx.operations.run(
    { key: `image:${name}`, what: `image ${name} is being pulled from ${reference}` },
    onProgress,
    async (emit, opSignal) => {
      const kernel = await ctx.kernels.pull(DEFAULT_KERNEL_NAME, emit, {
        existing: 'reuse',
        signal: opSignal,
      });
      return createManaged(ctx, name, async (staging) => {
        const pulled = await ctx.pullOci({
          ref: input.ref,
          cacheDir: ctx.paths.cacheDir,
          workDir: ctx.paths.tmpDir,
          insecure: input.insecure ?? false,
          runner: ctx.runner,
          onProgress: emit,
          log: (message) => ctx.logger.info({ image: name }, message),
          signal: opSignal,
        });
        try {
          await rename(pulled.rootfsPath, join(staging, 'rootfs.ext4'));
        } finally {
          await pulled.cleanup();
        }
        emit({ stage: 'store', message: `storing image ${name}` });
        return (final) => ({
          name,
          source: { kind: 'oci', reference, manifestDigest: pulled.manifestDigest },
          managed: true,
          rootfs: join(final, 'rootfs.ext4'),
          workSeed: undefined,
          kernel: { kind: 'set', name: kernel.name },
          sizeBytes: pulled.sizeBytes,
        });
      });
    },
    signal,
  );
}

export async function buildImage(
  ctx: CreateContext,
  input: BuildInput,
  onProgress: Progress,
  signal?: AbortSignal,
): Promise<ImageRecord> {
  const name = validateImageName(input.name ?? DEFAULT_IMAGE_NAME);
  if (ctx.images.get(name)) throw taken(name);
  const build = ctx.buildGolden;
  const packagesFile = input.packagesFile ?? ctx.defaultPackagesFile;
  if (!packagesFile) {
    throw new AppError(
      'host_unsupported',
      'the default package list is missing from this install; pass --packages FILE',
    );
  }
  if (!(await stat(packagesFile).catch(() => undefined))?.isFile()) {
    throw new AppError('not_found', `package list ${packagesFile} does not exist`);
  }
  const sizeBytes = input.sizeBytes ?? parseSize(DEFAULT_BUILD_SIZE);
  const logDir = join(ctx.paths.stateDir, 'image-build');
  const logFile = join(logDir, `${name}.log`);
  return ctx.operations.run(
    { key: `image:${name}`, what: `image ${name} is being built` },
    onProgress,
    (emit, opSignal) =>
      createManaged(ctx, name, async (staging) => {
        await mkdir(logDir, { recursive: true, mode: 0o700 });
        emit({ stage: 'build', message: `building image ${name}; log: ${logFile}` });
        const result = await build({
          runner: ctx.runner,
          packagesFile,
          sizeBytes,
          dest: staging,
          logFile,
          cacheDir: ctx.paths.cacheDir,
          onProgress: emit,
          signal: opSignal,
        });
        emit({ stage: 'store', message: `storing image ${name}` });
        const sizes = (await stat(result.rootfs)).size + (await stat(result.workSeed)).size;
        const inFinal = (final: string, path: string) => join(final, relative(staging, path));
        return (final) => ({
          name,
          source: { kind: 'build', packages: result.packages, packagesFile, mode: result.mode },
          managed: true,
          rootfs: inFinal(final, result.rootfs),
          workSeed: inFinal(final, result.workSeed),
          kernel: {
            kind: 'files',
            vmlinux: inFinal(final, join(result.kernelDir, 'vmlinux')),
            initrd: inFinal(final, join(result.kernelDir, 'initrd.img')),
            modulesDir: inFinal(final, join(result.kernelDir, 'modules')),
            version: result.kernelVersion,
          },
          sizeBytes: sizes,
        });
      }),
    signal,
  );
}

/**
 * `image promote`: copies a registered image's files (rootfs, work seed,
 * kernel files) into managed storage, atomically, then points the record at
 * the copies. A kernel set reference stays as it is.
 */
export async function promoteImage(
  ctx: CreateContext,
  image: ImageRecord,
  onProgress: Progress,
  signal?: AbortSignal,
): Promise<ImageRecord> {
  const name = image.name;
  return ctx.operations.run(
    { key: `image:${name}`, what: `image ${name} is being promoted` },
    onProgress,
    async (emit, opSignal) => {
      const staging = await createStagingDir(ctx.paths.tmpDir, name);
      const final = join(ctx.paths.imagesDir, name);
      try {
        emit({ stage: 'copy', message: `copying ${image.rootfs}` });
        await copySparse(ctx.runner, image.rootfs, join(staging, 'rootfs.ext4'), opSignal);
        if (image.workSeed) {
          emit({ stage: 'copy', message: `copying ${image.workSeed}` });
          await copySparse(ctx.runner, image.workSeed, join(staging, 'work-seed.ext4'), opSignal);
        }
        let kernel: ImageKernel = image.kernel;
        if (image.kernel.kind === 'files') {
          emit({ stage: 'copy', message: `copying kernel files of ${image.kernel.version}` });
          const dir = join(staging, 'kernel');
          await mkdir(dir, { mode: 0o700 });
          await copySparse(ctx.runner, image.kernel.vmlinux, join(dir, 'vmlinux'), opSignal);
          await copySparse(ctx.runner, image.kernel.initrd, join(dir, 'initrd.img'), opSignal);
          if (image.kernel.modulesDir)
            await copyTree(ctx.runner, image.kernel.modulesDir, join(dir, 'modules'), opSignal);
          kernel = {
            kind: 'files',
            vmlinux: join(final, 'kernel', 'vmlinux'),
            initrd: join(final, 'kernel', 'initrd.img'),
            version: image.kernel.version,
            ...(image.kernel.modulesDir ? { modulesDir: join(final, 'kernel', 'modules') } : {}),
          };
        }
        await commitStagingDir(staging, final, ctx.paths.imagesDir);
        try {
          return ctx.images.markManaged(name, {
            rootfs: join(final, 'rootfs.ext4'),
            workSeed: image.workSeed ? join(final, 'work-seed.ext4') : undefined,
            kernel,
          });
        } catch (err) {
          await rm(final, { recursive: true, force: true });
          throw err;
        }
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    },
    signal,
  );
}
