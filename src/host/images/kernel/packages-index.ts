import { AppError } from '../../../domain/errors.js';

/** One binary package stanza from a Debian `Packages` index (only the fields banger uses). */
export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** Path relative to the archive root, e.g. `pool/main/l/linux-signed-amd64/linux-image-...deb`. */
  filename: string;
  size: number;
  sha256: string;
  /** Raw `Depends:` value; parse with `parseDepends`. */
  depends: string;
}

/**
 * Parses a `Packages` index (deb822 stanzas separated by blank lines).
 * Continuation lines (starting with space or tab) are folded into the
 * previous field. Stanzas without the fields a download needs are skipped.
 * When a package appears more than once, the highest version wins.
 */
export function parsePackagesIndex(text: string): Map<string, DebPackage> {
  const result = new Map<string, DebPackage>();
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = parseStanza(stanza);
    const name = fields.get('package');
    const version = fields.get('version');
    const filename = fields.get('filename');
    const sha256 = fields.get('sha256');
    const size = Number(fields.get('size'));
    if (!name || !version || !filename || !sha256 || !Number.isSafeInteger(size)) continue;
    const pkg: DebPackage = {
      name,
      version,
      architecture: fields.get('architecture') ?? '',
      filename,
      size,
      sha256: sha256.toLowerCase(),
      depends: fields.get('depends') ?? '',
    };
    const previous = result.get(name);
    if (!previous || compareDebianVersions(pkg.version, previous.version) > 0) result.set(name, pkg);
  }
  return result;
}

function parseStanza(stanza: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of stanza.split('\n')) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current !== undefined) {
      fields.set(current, `${fields.get(current) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = line.slice(0, colon).toLowerCase();
    fields.set(current, line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * Splits a `Depends:` value into alternatives groups of bare package names,
 * dropping version constraints and architecture qualifiers:
 * `a (>= 1) | b:any, c` → `[['a', 'b'], ['c']]`.
 */
export function parseDepends(value: string): string[][] {
  return value
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alt) => alt.replace(/\(.*?\)|\[.*?\]|<.*?>/g, '').trim())
        .map((alt) => alt.split(':')[0] ?? '')
        .filter((alt) => alt !== ''),
    )
    .filter((group) => group.length > 0);
}

/**
 * Resolves a kernel metapackage (e.g. `linux-image-cloud-amd64`) to the
 * versioned image package it depends on (`linux-image-6.1.0-NN-cloud-amd64`).
 * A package whose name already carries a version is returned as is.
 */
export function resolveKernelPackage(index: Map<string, DebPackage>, name: string): DebPackage {
  const pkg = index.get(name);
  if (!pkg) {
    throw new AppError(
      'not_found',
      `package ${name} is not in the archive index; check the suite and mirror`,
    );
  }
  if (/^linux-image-\d/.test(name)) return pkg;
  for (const group of parseDepends(pkg.depends)) {
    for (const dep of group) {
      if (/^linux-image-\d/.test(dep) && index.has(dep)) return resolveKernelPackage(index, dep);
    }
  }
  throw new AppError(
    'not_found',
    `${name} ${pkg.version} depends on no linux-image-<version> package present in the index (Depends: ${pkg.depends})`,
  );
}

/**
 * Compares two Debian version strings per deb-version(7): epoch, then
 * upstream and revision with dpkg's alternating non-digit/digit rules,
 * where `~` sorts before everything, even the end of the string.
 */
export function compareDebianVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  if (pa.epoch !== pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  return compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

function splitVersion(v: string): { epoch: number; upstream: string; revision: string } {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? Number(v.slice(0, colon)) || 0 : 0;
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0
    ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
    : { epoch, upstream: rest, revision: '' };
}

function charOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit run, compared character by character with dpkg's ordering.
    while ((i < a.length && !/\d/.test(a[i] ?? '')) || (j < b.length && !/\d/.test(b[j] ?? ''))) {
      const ca = i < a.length && !/\d/.test(a[i] ?? '') ? a[i] : undefined;
      const cb = j < b.length && !/\d/.test(b[j] ?? '') ? b[j] : undefined;
      const d = charOrder(ca) - charOrder(cb);
      if (d !== 0) return d < 0 ? -1 : 1;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    let na = '';
    let nb = '';
    while (i < a.length && /\d/.test(a[i] ?? '')) na += a[i++];
    while (j < b.length && /\d/.test(b[j] ?? '')) nb += b[j++];
    const diff = Number(na || '0') - Number(nb || '0');
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}
