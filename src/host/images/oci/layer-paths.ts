/**
 * Pure checks on tar entry names and link targets (DESIGN §8). A path is a
 * list of components relative to the extraction root; `[]` is the root.
 * Nothing here touches the filesystem.
 */

export type PathCheck = { ok: true; parts: string[]; namesItself: boolean } | { ok: false; reason: string };

const OPAQUE = '.wh..wh..opq';
const WHITEOUT_PREFIX = '.wh.';
const AUFS_META_PREFIX = '.wh..wh.';

/**
 * Normalises a tar entry name (or a hardlink's target, which uses the same
 * namespace). Rejects absolute names (except the root itself, `/`), `..`
 * components and NUL bytes; drops
 * `.` and empty components. `namesItself` is true when the name ends in `/`
 * or `/.`, which only a directory may do.
 */
export function checkEntryName(name: string): PathCheck {
  if (name === '') return { ok: false, reason: 'has an empty name' };
  if (name.includes('\0')) return { ok: false, reason: 'has a NUL byte in its name' };
  const raw = name.split('/');
  // `/` alone (umoci writes it for the root directory) names the root; any other absolute name is refused.
  if (name.startsWith('/') && raw.some((c) => c !== '' && c !== '.'))
    return { ok: false, reason: 'is an absolute path' };
  if (raw.includes('..')) return { ok: false, reason: 'has a ".." component' };
  const last = raw.at(-1);
  const parts = raw.filter((c) => c !== '' && c !== '.');
  return { ok: true, parts, namesItself: last === '' || last === '.' };
}

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque'; dir: string[] }
  | { kind: 'delete'; target: string[] }
  | { kind: 'ignore' }
  | { kind: 'invalid'; reason: string };

/**
 * Classifies an entry by its base name: `.wh..wh..opq` makes its directory
 * opaque, `.wh.<name>` deletes `<name>` from lower layers, other
 * `.wh..wh.*` names are aufs bookkeeping that Docker also ignores. A bare
 * `.wh.` and whiteouts of `.` or `..` are invalid.
 */
export function classifyWhiteout(parts: readonly string[]): WhiteoutKind {
  const base = parts.at(-1);
  if (base === undefined || !base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  const parent = parts.slice(0, -1);
  if (base === OPAQUE) return { kind: 'opaque', dir: parent };
  if (base.startsWith(AUFS_META_PREFIX)) return { kind: 'ignore' };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '') return { kind: 'invalid', reason: 'is a bare ".wh." whiteout' };
  if (name === '.' || name === '..') return { kind: 'invalid', reason: `is a whiteout of "${name}"` };
  return { kind: 'delete', target: [...parent, name] };
}

/**
 * True when a symlink at `linkParts` pointing at `target` would resolve,
 * lexically, above the root. Absolute targets are resolved from the root:
 * inside the guest `/usr/bin` means the image's `/usr/bin`, so they are
 * kept verbatim (node-tar's habit of stripping the `/` would break them).
 * `..` at the root is refused rather than clamped, because on the host it
 * would really leave the root.
 */
export function symlinkEscapes(linkParts: readonly string[], target: string): boolean {
  const stack = target.startsWith('/') ? [] : linkParts.slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (stack.length === 0) return true;
      stack.pop();
    } else {
      stack.push(c);
    }
  }
  return false;
}

/** The manifest key of a path: components joined by `/`, `''` for the root. */
export function keyOf(parts: readonly string[]): string {
  return parts.join('/');
}

/** True when `key` is `ancestor` itself or lies below it. */
export function isWithin(key: string, ancestor: string): boolean {
  return ancestor === '' || key === ancestor || key.startsWith(`${ancestor}/`);
}
