import { mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootTree } from '../oci/root-tree.js';
import { installMise, MISE_BASHRC_LINES, MISE_PROFILE_PATH, MISE_PROFILE_SCRIPT } from './mise.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'banger-mise-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An npm-style package tarball (gzip'd tar, everything under package/) with the given files. */
async function npmTarball(files: Record<string, string>): Promise<string> {
  const p = pack();
  for (const [name, body] of Object.entries(files)) p.entry({ name, mode: 0o644 }, body);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const path = join(dir, 'mise.tgz');
  await writeFile(path, gzipSync(Buffer.concat(chunks)));
  return path;
}

/** An unpacked image root with /usr/local/bin, as the golden build has it after unpacking. */
function imageTree(): RootTree {
  mkdirSync(join(dir, 'root', 'usr', 'local', 'bin'), { recursive: true });
  return new RootTree(join(dir, 'root'));
}

describe('installMise', () => {
  it('takes package/bin/mise out of the npm tarball into /usr/local/bin, root-owned 0755', async () => {
    const tgz = await npmTarball({
      'package/package.json': '{}',
      'package/bin/mise': '#!/bin/sh\necho mise\n',
      'package/bin/mise.d': 'deps',
    });
    const tree = imageTree();
    await installMise(tree, tgz, false);
    const installed = join(dir, 'root', 'usr/local/bin/mise');
    expect(await readFile(installed, 'utf8')).toBe('#!/bin/sh\necho mise\n');
    expect((await stat(installed)).mode & 0o7777).toBe(0o755);
    expect(tree.owners.get('usr/local/bin/mise')).toEqual({ uid: 0, gid: 0, mode: 0o755, kind: 'file' });
    expect(tree.owners.has('usr/local/bin/mise.d')).toBe(false);
  });

  it('fails when the tarball has no package/bin/mise', async () => {
    const tgz = await npmTarball({ 'package/package.json': '{}' });
    await expect(installMise(imageTree(), tgz, false)).rejects.toThrow(/has no package\/bin\/mise/);
  });

  it('never writes through something already at the path (a symlink, say)', async () => {
    const tgz = await npmTarball({ 'package/bin/mise': 'x' });
    const tree = imageTree();
    symlinkSync('/etc/passwd', join(dir, 'root', 'usr/local/bin/mise'));
    await expect(installMise(tree, tgz, false)).rejects.toThrow(/already has something/);
  });
});

describe('mise activation', () => {
  it('activates bash only, once per shell, and bash.bashrc reuses the profile.d script', () => {
    expect(MISE_PROFILE_SCRIPT).toContain('eval "$(/usr/local/bin/mise activate bash)"');
    expect(MISE_PROFILE_SCRIPT).toMatch(/\[ -n "\$\{BASH_VERSION-\}" \]/);
    // Not exported: a child bash must install its own prompt hook.
    expect(MISE_PROFILE_SCRIPT).not.toMatch(/export/);
    expect(MISE_BASHRC_LINES).toContain(`. ${MISE_PROFILE_PATH}`);
  });
});
