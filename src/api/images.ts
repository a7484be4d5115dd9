import { z } from 'zod';

/** The images and kernels part of the daemon contract (see schemas.ts for the rest). */

const imageSourceInfo = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('build'),
    packages: z.array(z.string()),
    packagesFile: z.string(),
    mode: z.enum(['unshare', 'root']),
  }),
  z.object({ kind: z.literal('oci'), reference: z.string(), manifestDigest: z.string() }),
  z.object({ kind: z.literal('register'), rootfs: z.string(), workSeed: z.string().optional() }),
]);

const imageKernelInfo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('set'), name: z.string() }),
  z.object({
    kind: z.literal('files'),
    vmlinux: z.string(),
    initrd: z.string(),
    modulesDir: z.string().optional(),
    version: z.string(),
  }),
]);

export const imageInfo = z.object({
  name: z.string(),
  source: imageSourceInfo,
  managed: z.boolean(),
  rootfs: z.string(),
  workSeed: z.string().optional(),
  kernel: imageKernelInfo,
  sizeBytes: z.number().int(),
  createdAt: z.string(),
});
export type ImageInfo = z.infer<typeof imageInfo>;

const imageList = z.object({ images: z.array(imageInfo) });
export type ImageList = z.infer<typeof imageList>;

export const imageDetail = imageInfo.extend({
  kernelVersion: z.string(),
  /** VMs created from this image. */
  usedBy: z.array(z.string()),
});
export type ImageDetail = z.infer<typeof imageDetail>;

const absolutePath = z.string().regex(/^\//, 'expected an absolute path');

export const registerImageRequest = z
  .strictObject({
    name: z.string(),
    rootfs: absolutePath,
    workSeed: absolutePath.optional(),
    kernelRef: z.string().optional(),
    vmlinux: absolutePath.optional(),
    initrd: absolutePath.optional(),
    modulesDir: absolutePath.optional(),
  })
  .refine((r) => (r.kernelRef === undefined) !== (r.vmlinux === undefined), {
    message: 'give either --kernel-ref NAME or --kernel VMLINUX --initrd FILE',
  })
  .refine((r) => r.kernelRef !== undefined || r.initrd !== undefined, {
    message: '--kernel needs --initrd FILE (banger boots through an initramfs)',
  })
  .refine((r) => r.kernelRef === undefined || (r.initrd === undefined && r.modulesDir === undefined), {
    message: '--initrd and --modules go with --kernel, not with --kernel-ref',
  });
export type RegisterImageRequest = z.infer<typeof registerImageRequest>;

export const pullImageRequest = z.strictObject({
  ref: z.string().min(1),
  name: z.string().optional(),
  insecure: z.boolean().optional(),
});
export type PullImageRequest = z.infer<typeof pullImageRequest>;

export const buildImageRequest = z.strictObject({
  name: z.string().optional(),
  packagesFile: absolutePath.optional(),
  sizeBytes: z
    .number()
    .int()
    .min(512 * 1024 ** 2, 'the image size must be at least 512M')
    .max(1024 ** 4, 'the image size must be at most 1T')
    .optional(),
});
export type BuildImageRequest = z.infer<typeof buildImageRequest>;

export const kernelInfo = z.object({
  name: z.string(),
  version: z.string(),
  dir: z.string(),
  vmlinux: z.string(),
  initrd: z.string(),
  modulesDir: z.string(),
  /** Where it came from: catalog entry and package, or an image root. */
  source: z.record(z.string(), z.unknown()),
  /** The initramfs's modules. */
  initrdModules: z.array(z.string()),
  createdAt: z.string(),
  usedBy: z.array(z.string()),
});
export type KernelInfo = z.infer<typeof kernelInfo>;

const kernelList = z.object({ kernels: z.array(kernelInfo) });
export type KernelList = z.infer<typeof kernelList>;

const availableImages = z.object({
  images: z.array(
    z.object({ name: z.string(), description: z.string(), how: z.literal('build'), present: z.boolean() }),
  ),
});
export type AvailableImages = z.infer<typeof availableImages>;

export const availableKernels = z.object({
  kernels: z.array(z.object({ name: z.string(), description: z.string(), pulled: z.boolean() })),
});
export type AvailableKernels = z.infer<typeof availableKernels>;
