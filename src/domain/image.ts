import { validateResourceName } from './vm.js';

/** The image `vm run` uses when none is named and the config sets no other. */
export const DEFAULT_IMAGE_NAME = 'debian-bookworm';
/** The kernel set pulled images are paired with (a catalog entry, pulled on demand). */
export const DEFAULT_KERNEL_NAME = 'debian-bookworm-cloud';

/** Where an image came from: what `image show` reports and what a rebuild would repeat. */
export type ImageSource =
  | { kind: 'build'; packages: string[]; packagesFile: string; mode: 'unshare' | 'root' }
  | { kind: 'oci'; reference: string; manifestDigest: string }
  | { kind: 'register'; rootfs: string; workSeed?: string };

/**
 * The kernel an image boots: a kernel set by name (under the daemon's kernels
 * directory), or explicit files (a registered image's host files, or the
 * copies `image promote` made of them).
 */
export type ImageKernel =
  | { kind: 'set'; name: string }
  | { kind: 'files'; vmlinux: string; initrd: string; modulesDir?: string; version: string };

/** What an image is, as stored in SQLite. */
export interface ImageRecord {
  name: string;
  source: ImageSource;
  /** True when the files live in the daemon's images directory and `image delete` removes them. */
  managed: boolean;
  rootfs: string;
  workSeed: string | undefined;
  kernel: ImageKernel;
  /** Apparent size of the rootfs plus the work seed. */
  sizeBytes: number;
  createdAt: string;
}

/** Image and kernel names follow the VM name rule: they become directory names. */
export function validateImageName(name: string): string {
  return validateResourceName('image', name);
}

export function validateKernelName(name: string): string {
  return validateResourceName('kernel', name);
}
