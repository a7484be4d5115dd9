import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from './db.js';
import type { NewImage } from './image-repository.js';
import { ImageRepository } from './image-repository.js';

const open = () => openDatabase(join(mkdtempSync(join(tmpdir(), 'banger-images-')), 'state.db'));

const oci = (name: string, kernel = 'debian-bookworm-cloud'): NewImage => ({
  name,
  source: {
    kind: 'oci',
    reference: 'docker.io/library/debian:bookworm',
    manifestDigest: `sha256:${'a'.repeat(64)}`,
  },
  managed: true,
  rootfs: `/state/images/${name}/rootfs.ext4`,
  workSeed: undefined,
  kernel: { kind: 'set', name: kernel },
  sizeBytes: 123456,
});

describe('ImageRepository', () => {
  it('round-trips every source and kernel kind', () => {
    const repo = new ImageRepository(open());
    const now = new Date('2026-01-02T03:04:05Z');
    const a = repo.insert(oci('a'), now);
    expect(a).toEqual({ ...oci('a'), createdAt: '2026-01-02T03:04:05.000Z' });
    const built: NewImage = {
      name: 'golden',
      source: { kind: 'build', packages: ['systemd', 'git'], packagesFile: '/p.txt', mode: 'unshare' },
      managed: true,
      rootfs: '/i/golden/rootfs.ext4',
      workSeed: '/i/golden/work-seed.ext4',
      kernel: {
        kind: 'files',
        vmlinux: '/k/vmlinux',
        initrd: '/k/initrd.img',
        modulesDir: '/k/modules',
        version: '6.1.0-1',
      },
      sizeBytes: 4,
    };
    expect(repo.insert(built, now)).toEqual({ ...built, createdAt: now.toISOString() });
    const registered: NewImage = {
      name: 'mine',
      source: { kind: 'register', rootfs: '/h/r.ext4' },
      managed: false,
      rootfs: '/h/r.ext4',
      workSeed: undefined,
      kernel: { kind: 'files', vmlinux: '/h/vmlinux', initrd: '/h/initrd', version: 'unknown' },
      sizeBytes: 1,
    };
    expect(repo.insert(registered, now)).toEqual({ ...registered, createdAt: now.toISOString() });
    expect(repo.list().map((i) => i.name)).toEqual(['a', 'golden', 'mine']);
  });

  it('refuses a taken name with conflict and writes nothing', () => {
    const repo = new ImageRepository(open());
    repo.insert(oci('a'));
    expect(() => repo.insert({ ...oci('a'), rootfs: '/other' })).toThrow(
      expect.objectContaining({ code: 'conflict', message: expect.stringMatching(/already exists/) }),
    );
    expect(repo.get('a')?.rootfs).toBe('/state/images/a/rootfs.ext4');
  });

  it('names the images using a kernel set', () => {
    const repo = new ImageRepository(open());
    repo.insert(oci('b', 'k1'));
    repo.insert(oci('a', 'k1'));
    repo.insert(oci('c', 'k2'));
    expect(repo.usingKernel('k1')).toEqual(['a', 'b']);
    expect(repo.usingKernel('none')).toEqual([]);
  });

  it('marks a registered image managed with new paths, and deletes idempotently', () => {
    const repo = new ImageRepository(open());
    repo.insert({ ...oci('r'), managed: false, source: { kind: 'register', rootfs: '/h/r' } });
    const promoted = repo.markManaged('r', {
      rootfs: '/i/r/rootfs.ext4',
      workSeed: '/i/r/work-seed.ext4',
      kernel: {
        kind: 'files',
        vmlinux: '/i/r/kernel/vmlinux',
        initrd: '/i/r/kernel/initrd.img',
        version: 'v',
      },
    });
    expect(promoted).toMatchObject({
      managed: true,
      rootfs: '/i/r/rootfs.ext4',
      workSeed: '/i/r/work-seed.ext4',
    });
    expect(promoted.kernel).toEqual({
      kind: 'files',
      vmlinux: '/i/r/kernel/vmlinux',
      initrd: '/i/r/kernel/initrd.img',
      version: 'v',
    });
    expect(promoted.source).toEqual({ kind: 'register', rootfs: '/h/r' });
    expect(() => repo.markManaged('gone', promoted)).toThrow(expect.objectContaining({ code: 'not_found' }));
    repo.delete('r');
    repo.delete('r');
    expect(repo.get('r')).toBeUndefined();
  });

  it('rejects a row with both or neither kernel column at the SQL level', () => {
    const db = open();
    const insert = (ref: string | null, files: string | null) =>
      db
        .prepare(
          `INSERT INTO images (name, source_kind, source_detail, managed, rootfs, kernel_ref, kernel_files, size_bytes, created_at)
           VALUES ('x', 'oci', '{}', 1, '/r', ?, ?, 0, 'now')`,
        )
        .run(ref, files);
    expect(() => insert(null, null)).toThrow(/CHECK constraint/);
    expect(() => insert('k', '{}')).toThrow(/CHECK constraint/);
  });
});
