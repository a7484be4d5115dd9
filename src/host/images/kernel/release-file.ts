import { AppError } from '../../../domain/errors.js';

export interface ReleaseEntry {
  sha256: string;
  size: number;
}

/**
 * Returns the signed body of a clearsigned `InRelease` file (armor removed,
 * dash-escaping undone), or the text itself when it is an unsigned `Release`.
 * This does not check the signature; `gpgv` does that (see DebianArchive).
 */
export function clearsignedBody(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const lines = text.split('\n');
  const headerEnd = lines.indexOf('', 1);
  const sigStart = lines.findIndex((l) => l.startsWith('-----BEGIN PGP SIGNATURE-----'));
  if (headerEnd < 0 || sigStart < headerEnd) {
    throw new AppError('operation_failed', 'malformed InRelease file: no signed body; check the mirror');
  }
  return lines
    .slice(headerEnd + 1, sigStart)
    .map((l) => (l.startsWith('- ') ? l.slice(2) : l))
    .join('\n');
}

/**
 * Parses the `SHA256:` field of a Release file into path → {sha256, size},
 * e.g. `main/binary-amd64/Packages.xz`.
 */
export function parseReleaseSha256(body: string): Map<string, ReleaseEntry> {
  const entries = new Map<string, ReleaseEntry>();
  let inSha256 = false;
  for (const line of body.split('\n')) {
    if (!line.startsWith(' ')) {
      inSha256 = /^SHA256:\s*$/i.test(line);
      continue;
    }
    if (!inSha256) continue;
    const [hash, size, path] = line.trim().split(/\s+/);
    if (hash && size && path && /^[0-9a-f]{64}$/i.test(hash)) {
      entries.set(path, { sha256: hash.toLowerCase(), size: Number(size) });
    }
  }
  return entries;
}

/** Reads a single-line field such as `Acquire-By-Hash` from a Release body. */
export function releaseField(body: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:\\s*(.*)$`, 'im');
  return re.exec(body)?.[1]?.trim();
}
