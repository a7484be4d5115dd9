import { randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type BangerPaths, ensurePrivateDir } from '../host/paths.js';

/** How long a login file is kept: the login code in it works for 2 minutes, then it is useless. */
const LOGIN_FILE_MAX_AGE_MS = 120_000;

const NAME = /^web-login-[A-Za-z0-9_-]+\.html$/;

/**
 * A one-line HTML page that sends the browser on to `url` (the one-time login
 * link), for `banger web` to hand to xdg-open instead of the link itself:
 * a command line is world-readable (/proc/<pid>/cmdline of xdg-open and of the
 * browser it starts), so another local user could redeem the code first. The
 * file sits in banger's runtime dir (0700, ours alone), is created 0600 with
 * O_EXCL (never through a planted file or symlink), and holds nothing else.
 * Earlier such files past the code's lifetime are removed first. Returns the path.
 */
export function writeLoginFile(
  url: string,
  paths: Pick<BangerPaths, 'runtimeDir'>,
  now = Date.now(),
): string {
  ensurePrivateDir(paths.runtimeDir);
  removeStaleLoginFiles(paths.runtimeDir, now);
  const file = join(paths.runtimeDir, `web-login-${randomBytes(12).toString('base64url')}.html`);
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, loginPage(url));
  } finally {
    closeSync(fd);
  }
  return file;
}

/** The page: an immediate refresh to the link, and the link itself for a browser that ignores it. */
function loginPage(url: string): string {
  const href = escapeHtml(url);
  return [
    '<!doctype html>',
    '<meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    `<meta http-equiv="refresh" content="0;url=${href}">`,
    '<title>banger web</title>',
    `<p><a href="${href}">Log in to the banger web UI</a></p>`,
    '',
  ].join('\n');
}

function removeStaleLoginFiles(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    if (!NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      if (now - lstatSync(path).mtimeMs > LOGIN_FILE_MAX_AGE_MS) rmSync(path, { force: true });
    } catch {
      // Gone already (another `banger web` at the same moment).
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
