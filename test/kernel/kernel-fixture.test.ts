import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isElf64, pvhEntry } from '../../src/host/images/kernel/elf.js';
import { testKernel } from '../support/kernel-fixture.js';

describe('testKernel fixture', () => {
  it('provides the Debian bookworm cloud kernel as an ELF vmlinux with PVH and its modules', async () => {
    const kernel = await testKernel();
    expect(kernel.version).toMatch(/^6\.1\.0-\d+-cloud-amd64$/);
    const elf = await readFile(kernel.vmlinux);
    expect(isElf64(elf)).toBe(true);
    expect(pvhEntry(elf)).toBeGreaterThan(0);
    expect((await stat(join(kernel.modulesDir, 'kernel/drivers/block/virtio_blk.ko'))).isFile()).toBe(true);
    // A second call is served from the cache.
    expect(await testKernel()).toEqual(kernel);
  }, 600_000);
});
