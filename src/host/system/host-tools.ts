import { which } from '../probe.js';

/** A host program banger runs, with the Debian package that provides it. */
export interface HostTool {
  tool: string;
  pkg: string;
  purpose: string;
}

/** What doctor checks and `system setup --install-packages` installs. */
export const HOST_TOOLS: readonly HostTool[] = [
  { tool: 'ip', pkg: 'iproute2', purpose: 'bridge and TAP devices' },
  { tool: 'iptables', pkg: 'iptables', purpose: 'per-VM NAT' },
  { tool: 'mkfs.ext4', pkg: 'e2fsprogs', purpose: 'VM disks and images' },
  { tool: 'e2fsck', pkg: 'e2fsprogs', purpose: 'checking disks before resize' },
  { tool: 'resize2fs', pkg: 'e2fsprogs', purpose: 'growing work disks' },
  { tool: 'debugfs', pkg: 'e2fsprogs', purpose: 'writing files into disks without mounting' },
  { tool: 'ssh', pkg: 'openssh-client', purpose: 'vm ssh and vm run' },
  { tool: 'ssh-keygen', pkg: 'openssh-client', purpose: 'banger and guest host keys' },
  { tool: 'mmdebstrap', pkg: 'mmdebstrap', purpose: 'building the golden image' },
  { tool: 'busybox', pkg: 'busybox-static', purpose: "banger's initramfs" },
  { tool: 'cpio', pkg: 'cpio', purpose: "banger's initramfs" },
  { tool: 'tar', pkg: 'tar', purpose: 'workspace copies and kernel packages' },
  { tool: 'git', pkg: 'git', purpose: 'workspace copies of git repositories' },
  // Kernel pulls: Debian's signed index and .deb packages, and the compressed kernels inside them.
  { tool: 'dpkg-deb', pkg: 'dpkg', purpose: 'unpacking kernel packages' },
  { tool: 'gpgv', pkg: 'gpgv', purpose: "checking the signature of Debian's package index" },
  { tool: 'xz', pkg: 'xz-utils', purpose: "Debian's package index and xz kernels" },
  { tool: 'lz4', pkg: 'lz4', purpose: "Debian's cloud kernel (LZ4)" },
  { tool: 'zstd', pkg: 'zstd', purpose: 'zstd kernels and modules' },
  { tool: 'bzip2', pkg: 'bzip2', purpose: 'bzip2 kernels' },
];

/** The tools not found on PATH (nor in the sbin directories). */
export function missingHostTools(find: (tool: string) => string | undefined = which): HostTool[] {
  return HOST_TOOLS.filter((t) => find(t.tool) === undefined);
}
