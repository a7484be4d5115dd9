import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { syntheticBzImage, syntheticElf } from '../../../src/host/images/kernel/testing/synthetic-elf.js';
import { SpawnRunner } from '../../../src/host/runner.js';

export const SYNTHETIC_VERSION = '6.1.0-99-test-amd64';

/** Module name → relative path and depends, shaped like Debian's cloud kernel (ext4 built in). */
const MODULES: Record<string, { path: string; depends: string }> = {
  virtio: { path: 'kernel/drivers/virtio/virtio.ko', depends: '' },
  virtio_ring: { path: 'kernel/drivers/virtio/virtio_ring.ko', depends: '' },
  virtio_mmio: { path: 'kernel/drivers/virtio/virtio_mmio.ko', depends: 'virtio,virtio_ring' },
  virtio_blk: { path: 'kernel/drivers/block/virtio_blk.ko', depends: 'virtio,virtio_ring' },
  failover: { path: 'kernel/net/core/failover.ko', depends: '' },
  net_failover: { path: 'kernel/drivers/net/net_failover.ko', depends: 'failover' },
  virtio_net: { path: 'kernel/drivers/net/virtio_net.ko', depends: 'virtio_ring,virtio,net_failover' },
  overlay: { path: 'kernel/fs/overlayfs/overlay.ko', depends: '' },
};

/**
 * Writes a kernel tree (boot/vmlinuz-<ver> as a gzip bzImage of a small
 * ELF with the PVH note, lib/modules/<ver> with modules carrying modinfo)
 * under `root`. Not bootable; exercises every step of a kernel-set build.
 */
export async function writeSyntheticKernelTree(root: string, version = SYNTHETIC_VERSION): Promise<void> {
  const elf = syntheticElf({ pvhEntry: 0x1000000, padTo: 8192 });
  await mkdir(join(root, 'boot'), { recursive: true });
  await writeFile(
    join(root, 'boot', `vmlinuz-${version}`),
    syntheticBzImage(gzipSync(elf), elf.length, { appendSize: false }),
  );
  const modules = join(root, 'lib/modules', version);
  for (const [name, m] of Object.entries(MODULES)) {
    await mkdir(dirname(join(modules, m.path)), { recursive: true });
    const info = [`name=${name}`, `depends=${m.depends}`, `vermagic=${version} SMP mod_unload modversions `];
    await writeFile(join(modules, m.path), syntheticElf({ modinfo: info }));
  }
  await writeFile(
    join(modules, 'modules.builtin'),
    'kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n',
  );
}

/** Builds a linux-image .deb holding the synthetic kernel tree; returns its bytes. */
export async function buildSyntheticKernelDeb(pkg: string, version: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'banger-synth-deb-'));
  try {
    const root = join(dir, 'root');
    await writeSyntheticKernelTree(root);
    await mkdir(join(root, 'DEBIAN'));
    await writeFile(
      join(root, 'DEBIAN/control'),
      `Package: ${pkg}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: banger tests <t@example.invalid>\nDescription: synthetic kernel\n`,
    );
    await new SpawnRunner().run([
      'dpkg-deb',
      '--root-owner-group',
      '-Zgzip',
      '--build',
      root,
      join(dir, 'k.deb'),
    ]);
    return await readFile(join(dir, 'k.deb'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
