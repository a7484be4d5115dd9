import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { AppError } from '../../../domain/errors.js';
import { verifiedDownload } from '../kernel/verified-download.js';
import type { RootTree } from '../oci/root-tree.js';

/**
 * mise (https://mise.jdx.dev) in the golden image, so `vm run`'s tooling
 * bootstrap (src/host/workspace/tooling.ts) finds it and installs what a
 * repository's `.mise.toml` / `.tool-versions` declares.
 *
 * It comes from the npm registry, because banger's builds (and CI) reach
 * only the npm registry and Debian's archive, not GitHub's releases, and
 * Debian bookworm has no mise package. The version and the registry's
 * `dist.integrity` are pinned here; the tarball is checked against it before
 * anything is taken out of it. Changing them changes the test image's cache
 * key (test/support/golden-image.ts hashes MISE_INTEGRITY).
 */
export const MISE_VERSION = '2026.9.15';
/** `npm view @jdxcode/mise-linux-x64@<MISE_VERSION> dist.integrity` */
export const MISE_INTEGRITY =
  'sha512-ButPFGyztN0Rk/HOHvHuf+W80CkvQRAjbDWHvhGJc3PnL3e2KhCYZIOyjx8wPkhr9VJa/7sJZXpxtt5JLjsfaQ==';
/** The tarball's size, so a cached file that is not the whole tarball is not trusted. */
const MISE_TARBALL_BYTES = 52_298_098;
const MISE_TARBALL_URL = `https://registry.npmjs.org/@jdxcode/mise-linux-x64/-/mise-linux-x64-${MISE_VERSION}.tgz`;
/** Where the npm package keeps the executable (its package.json `bin`). */
const BINARY_IN_TARBALL = 'package/bin/mise';

/** In the image: on sshd's default PATH, so the bootstrap's non-interactive `command -v mise` finds it. */
export const MISE_IMAGE_PATH = '/usr/local/bin/mise';

/**
 * Activation for bash (written to /etc/profile.d/mise.sh; /etc/bash.bashrc
 * sources it). Login shells read profile.d; interactive non-login shells
 * read bash.bashrc, whose Debian version returns at its top for
 * non-interactive shells, so `ssh vm -- cmd` runs without it and prints
 * nothing extra. An interactive login shell reads both: the guard, a shell
 * variable that is deliberately not exported (each new bash must install
 * its own prompt hook), makes it activate once. dash reads profile.d too,
 * hence the BASH_VERSION test.
 */
export const MISE_PROFILE_PATH = '/etc/profile.d/mise.sh';
export const MISE_PROFILE_SCRIPT = `# Written by banger: mise puts the tools a repository declares (.mise.toml, .tool-versions) on PATH.
if [ -n "\${BASH_VERSION-}" ] && [ -z "\${__banger_mise_active-}" ] && [ -x ${MISE_IMAGE_PATH} ]; then
  __banger_mise_active=1
  eval "$(${MISE_IMAGE_PATH} activate bash)"
fi
`;
export const MISE_BASHRC_LINES = `
# Written by banger: mise for interactive shells (see ${MISE_PROFILE_PATH}).
[ -r ${MISE_PROFILE_PATH} ] && . ${MISE_PROFILE_PATH}
`;

/**
 * The verified npm tarball, downloaded into `<cacheDir>/npm/` once and
 * reused by later builds (verifiedDownload trusts only what it verified).
 */
export function fetchMiseTarball(o: { cacheDir: string; signal?: AbortSignal }): Promise<string> {
  return verifiedDownload({
    url: MISE_TARBALL_URL,
    integrity: MISE_INTEGRITY,
    size: MISE_TARBALL_BYTES,
    dest: join(o.cacheDir, 'npm', `mise-linux-x64-${MISE_VERSION}.tgz`),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/**
 * Writes the tarball's `package/bin/mise` into the unpacked image at
 * MISE_IMAGE_PATH, root-owned 0755 (lchown as root; recorded for debugfs
 * otherwise). /usr/local/bin must already be a real directory of the image
 * (base-files makes it) and nothing may be at the path yet.
 */
export async function installMise(tree: RootTree, tarball: string, chownFiles: boolean): Promise<void> {
  const dirParts = MISE_IMAGE_PATH.split('/').filter((p) => p !== '');
  const parts = [...dirParts];
  dirParts.pop();
  if (!tree.lookup(dirParts)?.isDirectory())
    throw new AppError('internal', `the image has no directory /${dirParts.join('/')} for mise`);
  if (tree.lookup(parts) !== undefined)
    throw new AppError('internal', `the image already has something at ${MISE_IMAGE_PATH}`);
  const target = tree.abs(parts);
  let found = false;
  const entries = extract();
  const feeding = pipeline(createReadStream(tarball), createGunzip(), entries);
  // Observed now, awaited below: it can reject while the loop waits for an entry.
  feeding.catch(() => {});
  try {
    for await (const entry of entries) {
      if (entry.header.name !== BINARY_IN_TARBALL || entry.header.type !== 'file' || found) {
        entry.resume();
        continue;
      }
      found = true;
      // 'wx': O_EXCL, so nothing planted at the path (a symlink) is ever followed.
      await pipeline(entry, createWriteStream(target, { flags: 'wx', mode: 0o755 }));
    }
    await feeding;
  } catch (err) {
    entries.destroy();
    await feeding.catch(() => {});
    throw new AppError('operation_failed', `could not take mise out of ${tarball}: ${String(err)}`, {
      cause: err,
    });
  }
  if (!found) throw new AppError('operation_failed', `${tarball} has no ${BINARY_IN_TARBALL}`);
  // The umask may have taken bits off the mode given at creation.
  await chmod(target, 0o755);
  if (chownFiles) await chown(target, 0, 0);
  tree.owners.set(parts.join('/'), { uid: 0, gid: 0, mode: 0o755, kind: 'file' });
}
