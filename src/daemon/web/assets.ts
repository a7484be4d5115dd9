import { existsSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the front end's build puts the UI, relative to dist/. */
const WEB_IN_DIST = 'web';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * dist/web/, where `npm run build` writes the web UI, found from the calling
 * module like the guest agent is: the daemon bundle is dist/bangerd.js, the
 * sources (which tests run) sit at most four levels under the repository.
 * Only a directory named web inside one named dist counts, so the front
 * end's sources (src/web/) are never served. Undefined while not built.
 */
export function builtWebDir(moduleUrl: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let up = 0; up <= 4; up++) {
    const candidates = [join(dir, 'dist', WEB_IN_DIST)];
    if (basename(dir) === 'dist') candidates.unshift(join(dir, WEB_IN_DIST));
    for (const candidate of candidates) if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * A name that can only mean a file directly in assets/: letters, digits,
 * `.`, `_`, `-`, not starting with a dot and never `..` (so no `/`, `\`,
 * NUL, parent or hidden file). Route parameters arrive URL-decoded, so
 * `..%2f` is checked as `../`.
 */
export function isPlainAssetName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/.test(name) && !name.includes('..');
}

/** The bytes of a regular file (not a symlink, not a directory) or undefined. */
export async function readRegularFile(path: string): Promise<Buffer | undefined> {
  try {
    if (!(await lstat(path)).isFile()) return undefined;
    return await readFile(path);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  }
}
