import { AppError } from '../../../domain/errors.js';
import { DEFAULT_DEBIAN_MIRROR } from './debian-archive.js';

/** A kernel fetched as a package from a Debian archive, verified through the archive's index. */
export interface DebianKernelSource {
  kind: 'debian-archive';
  mirror: string;
  suite: string;
  component: string;
  arch: string;
  /** Usually a metapackage, resolved through its Depends to the versioned image package. */
  package: string;
}

export interface CatalogKernel {
  name: string;
  description: string;
  source: DebianKernelSource;
}

/**
 * The kernels banger knows how to fetch without building an image
 * (`banger kernel list --available`, `kernel pull NAME`). Entries name a
 * moving target (the suite's current package); the resolved package version
 * and sha256 are recorded in the kernel set's kernel.json.
 */
export const kernelCatalog: readonly CatalogKernel[] = [
  {
    name: 'debian-bookworm-cloud',
    description:
      'Debian 12 (bookworm) cloud kernel, linux-image-cloud-amd64: LZ4 bzImage with CONFIG_PVH=y, virtio and overlay as modules',
    source: {
      kind: 'debian-archive',
      mirror: DEFAULT_DEBIAN_MIRROR,
      suite: 'bookworm',
      component: 'main',
      arch: 'amd64',
      package: 'linux-image-cloud-amd64',
    },
  },
];

export function findCatalogKernel(name: string): CatalogKernel {
  const entry = kernelCatalog.find((k) => k.name === name);
  if (!entry) {
    const known = kernelCatalog.map((k) => k.name).join(', ');
    throw new AppError(
      'not_found',
      `no kernel named ${name} in the catalog (available: ${known}); see banger kernel list --available`,
    );
  }
  return entry;
}
