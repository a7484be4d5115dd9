import { DEBIAN_ARCHIVE_KEYRING } from './debian-archive.js';

/**
 * Host commands the kernel-set and initramfs code runs, for `banger doctor`.
 * `busybox-static` is checked with findStaticBusybox (it must be a static
 * ELF, not just present). Decompressors other than the kernel's own format
 * are only needed for other kernels; Debian's cloud kernel is LZ4.
 */
export const kernelHostRequirements: readonly { command: string; aptPackage: string; why: string }[] = [
  { command: 'dpkg-deb', aptPackage: 'dpkg', why: 'unpack kernel .deb packages' },
  {
    command: 'xz',
    aptPackage: 'xz-utils',
    why: "decompress Debian's package index (and xz/lzma kernels and modules)",
  },
  { command: 'gpgv', aptPackage: 'gpgv', why: "check the signature of Debian's InRelease" },
  { command: 'lz4', aptPackage: 'lz4', why: "decompress Debian's cloud kernel (LZ4 bzImage)" },
  { command: 'zstd', aptPackage: 'zstd', why: 'decompress zstd kernels and .ko.zst modules' },
  { command: 'bzip2', aptPackage: 'bzip2', why: 'decompress bzip2 kernels' },
  { command: 'cp', aptPackage: 'coreutils', why: 'copy a rootfs kernel’s modules into its kernel set' },
];

/**
 * The keyring gpgv checks Debian's InRelease with; without it kernel pulls
 * are refused unless `insecure_skip_kernel_signature` is set.
 */
export const kernelHostFiles: readonly { path: string; aptPackage: string }[] = [
  { path: DEBIAN_ARCHIVE_KEYRING, aptPackage: 'debian-archive-keyring' },
];
