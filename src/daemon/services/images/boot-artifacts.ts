/** What a VM boots from: the image's files and its kernel, all daemon-resolved paths. */
export interface BootArtifacts {
  /** Image name. */
  image: string;
  rootfs: string;
  workSeed?: string;
  kernel: {
    /** Kernel set name, or the image name for a kernel that belongs to the image. */
    name: string;
    vmlinux: string;
    initrd: string;
    /** The kernel's /lib/modules/<version> tree; absent when a registered image gave none. */
    modulesDir?: string;
    version: string;
  };
}
