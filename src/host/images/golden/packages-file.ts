import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../../domain/errors.js';

/** The golden image's package list, relative to the repository (or installed package) root. */
export const DEFAULT_PACKAGES_FILE = join('images', 'debian-bookworm', 'packages.txt');

/** Debian package names (policy §5.6.1), optionally with an architecture qualifier. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

/**
 * Parses a package list: one package per line, `#` starts a comment, blank
 * lines are ignored. Duplicates are dropped (first one kept). Throws an
 * AppError naming the line for anything that is not a package name, so a
 * typo never reaches apt as an option or a shell word.
 */
export function parsePackageList(text: string, source = 'the package list'): string[] {
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    if (!PACKAGE_NAME.test(line)) {
      throw new AppError(
        'invalid_argument',
        `${source} line ${i + 1}: "${line}" is not a Debian package name; put one package per line (comments start with #)`,
      );
    }
    seen.add(line);
  });
  if (seen.size === 0) {
    throw new AppError('invalid_argument', `${source} lists no packages; add at least one package name`);
  }
  return [...seen];
}

/** Reads and parses a package list file; a missing file is a clear `not_found`. */
export async function readPackageList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new AppError(
      'not_found',
      `package list ${file} cannot be read; pass an existing file with --packages`,
      {
        cause: err,
      },
    );
  }
  return parsePackageList(text, file);
}

/**
 * The default package list shipped with banger. Found by walking up from
 * this module to the first directory holding `images/debian-bookworm/packages.txt`:
 * that is the repository root when running from source (src/host/images/golden/)
 * and the package root when running the dist/ bundle (package.json "files"
 * includes images/).
 */
export function defaultPackagesFile(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, DEFAULT_PACKAGES_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new AppError(
        'not_found',
        `banger's ${DEFAULT_PACKAGES_FILE} was not found next to ${from}; reinstall banger or pass --packages FILE`,
      );
    }
    dir = parent;
  }
}
