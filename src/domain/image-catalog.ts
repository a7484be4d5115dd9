import { DEFAULT_IMAGE_NAME } from './image.js';

/**
 * Images banger knows by name (`image pull NAME`, `image list --available`).
 * A catalog name is resolved before an OCI reference, so `debian-bookworm`
 * means banger's own image, not docker.io/library/debian-bookworm; an OCI
 * image is named explicitly (`docker.io/library/debian:bookworm`, `name:tag`).
 */
export interface CatalogImage {
  name: string;
  description: string;
  /** How it is made: `build` runs banger's golden recipe (mmdebstrap) on this host. */
  how: 'build';
}

export const imageCatalog: readonly CatalogImage[] = [
  {
    name: DEFAULT_IMAGE_NAME,
    description:
      "Debian 12 (bookworm) with systemd, sshd, git, docker and mise, built here from Debian's archive by banger's recipe",
    how: 'build',
  },
];

export function catalogImage(name: string): CatalogImage | undefined {
  return imageCatalog.find((i) => i.name === name);
}
