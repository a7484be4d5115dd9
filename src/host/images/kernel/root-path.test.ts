import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveInRoot } from './root-path.js';

describe('resolveInRoot', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'banger-root-'));
    await mkdir(join(root, 'usr/lib/modules/6.1'), { recursive: true });
    await mkdir(join(root, 'boot'));
    await writeFile(join(root, 'boot/vmlinuz-6.1'), 'k');
    await symlink('/usr/lib', join(root, 'lib'));
    await symlink('boot/vmlinuz-6.1', join(root, 'vmlinuz'));
    await symlink('../../../../etc', join(root, 'usr/lib/escape'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('follows absolute symlinks relative to the root', async () => {
    expect(await resolveInRoot(root, 'lib/modules/6.1')).toBe(join(root, 'usr/lib/modules/6.1'));
    expect(await resolveInRoot(root, '/vmlinuz')).toBe(join(root, 'boot/vmlinuz-6.1'));
  });

  it('never climbs above the root', async () => {
    // ../../../../etc from usr/lib clamps at the root: <root>/etc, which does not exist.
    expect(await resolveInRoot(root, 'usr/lib/escape')).toBeUndefined();
    expect(await resolveInRoot(root, '../../boot')).toBe(join(root, 'boot'));
  });

  it('returns undefined for missing paths and symlink loops', async () => {
    await symlink('loop', join(root, 'loop'));
    expect(await resolveInRoot(root, 'boot/missing')).toBeUndefined();
    expect(await resolveInRoot(root, 'loop')).toBeUndefined();
  });
});
