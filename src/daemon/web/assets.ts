import { existsSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the front end's build puts the UI, relative to the bundle's directory (dist/). */
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
 * dist/web/, where `npm run build` writes the web UI: the directory `web`
 * beside the running bundle (dist/bangerd.js), and nowhere else. No search
 * upwards: with the UI not built, a parent's `dist/web` could be anyone's
 * (a shared /tmp, another user's checkout) and would be served as ours.
 * Run from its sources (tests), this finds nothing; tests pass the
 * directory explicitly (WebUiOptions.webDir). Undefined while not built.
 */
export function builtWebDir(moduleUrl: string = import.meta.url): string | undefined {
  const candidate = join(dirname(fileURLToPath(moduleUrl)), WEB_IN_DIST);
  return existsSync(join(candidate, 'index.html')) ? candidate : undefined;
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
