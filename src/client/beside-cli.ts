import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file shipped next to the CLI bundle in dist/ (bangerd.js, banger-root.mjs),
 * found from the calling module's URL. Code loaded on use lives in
 * dist/chunks/, one level down, so a chunk looks in its parent.
 */
export function besideCli(name: string, moduleUrl: string): string {
  const dir = dirname(fileURLToPath(moduleUrl));
  return join(basename(dir) === 'chunks' ? dirname(dir) : dir, name);
}
