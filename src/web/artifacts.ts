import type { ImageInfo } from '../api/images.js';

/** A labelled value of a details list. */
export type FieldPair = readonly [label: string, value: string];

/** An image's source in one table cell: `oci <reference>`, `build` or `register`. */
export function sourceSummary(image: Pick<ImageInfo, 'source'>): string {
  return image.source.kind === 'oci' ? `oci ${image.source.reference}` : image.source.kind;
}

/**
 * Where an image came from, as the lines of its details (what `banger image
 * show` prints). A registered image's original paths are left out while they
 * are still its files (they are shown as those).
 */
export function imageSourceFields(image: Pick<ImageInfo, 'source' | 'rootfs' | 'workSeed'>): FieldPair[] {
  const { source } = image;
  switch (source.kind) {
    case 'oci':
      return [
        ['Source', 'OCI image'],
        ['Reference', source.reference],
        ['Manifest digest', source.manifestDigest],
      ];
    case 'build':
      return [
        ['Source', `built by banger (${source.mode} mode)`],
        ['Packages file', source.packagesFile],
        ['Packages', source.packages.length > 0 ? source.packages.join(' ') : '–'],
      ];
    case 'register':
      return [
        ['Source', 'registered files'],
        ...(source.rootfs === image.rootfs ? [] : [['Registered rootfs', source.rootfs] as const]),
        ...(source.workSeed === undefined || source.workSeed === image.workSeed
          ? []
          : [['Registered work seed', source.workSeed] as const]),
      ];
  }
}

/**
 * A kernel set's source (its manifest's record: `kind` then fields such as
 * `catalog`, `package`, `url`, or `root`) as lines: `kind` first as
 * "Source", the other keys in words (`packageVersion` → "Package version"),
 * values that are not strings as JSON. Absent values are left out.
 */
export function kernelSourceFields(source: Record<string, unknown>): FieldPair[] {
  const { kind, ...rest } = source;
  const fields: FieldPair[] = kind === undefined ? [] : [['Source', valueText(kind)]];
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || value === null) continue;
    fields.push([words(key), valueText(value)]);
  }
  return fields;
}

const valueText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** `packageVersion` → `Package version`, `debSha256` → `Deb SHA-256`. */
function words(key: string): string {
  const spaced = key
    .replace(/Sha256$/, ' SHA-256')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/sha-256$/, 'SHA-256');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
