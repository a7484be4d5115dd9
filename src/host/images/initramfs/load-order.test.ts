import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { type ModuleSource, normaliseModuleName, planModuleLoad } from './load-order.js';

type Graph = Record<string, string[] | 'builtin'>;

function lookup(graph: Graph) {
  return async (name: string): Promise<ModuleSource<string> | undefined> => {
    const node = graph[name];
    if (node === undefined) return undefined;
    if (node === 'builtin') return { kind: 'builtin' };
    return { kind: 'file', relPath: `kernel/${name}.ko`, deps: node, payload: `data-${name}` };
  };
}

const GRAPH: Graph = {
  virtio: [],
  virtio_ring: [],
  virtio_mmio: ['virtio', 'virtio_ring'],
  virtio_blk: ['virtio', 'virtio_ring'],
  virtio_net: ['virtio_ring', 'virtio', 'net_failover'],
  net_failover: ['failover'],
  failover: [],
  ext4: 'builtin',
  overlay: [],
  crc32c_intel: [],
  virtio_pci: ['virtio_pci_modern_dev', 'virtio', 'missing_dep'],
  virtio_pci_modern_dev: [],
};

describe('planModuleLoad', () => {
  it('orders every module after its dependencies, once each', async () => {
    const plan = await planModuleLoad(
      [
        { name: 'virtio_net', required: true },
        { name: 'virtio_blk', required: true },
        { name: 'virtio_mmio', required: true },
        { name: 'ext4', required: true },
      ],
      lookup(GRAPH),
    );
    const names = plan.load.map((s) => s.name);
    expect(names).toEqual([
      'virtio_ring',
      'virtio',
      'failover',
      'net_failover',
      'virtio_net',
      'virtio_blk',
      'virtio_mmio',
    ]);
    for (const step of plan.load) {
      const deps = GRAPH[step.name] as string[];
      for (const dep of deps) expect(names.indexOf(dep)).toBeLessThan(names.indexOf(step.name));
    }
    expect(plan.builtin).toEqual(['ext4']);
    expect(plan.load[0]).toEqual({
      name: 'virtio_ring',
      relPath: 'kernel/virtio_ring.ko',
      required: true,
      payload: 'data-virtio_ring',
    });
  });

  it('skips optional modules that are absent or have an absent dependency', async () => {
    const plan = await planModuleLoad(
      [
        { name: 'overlay', required: true },
        { name: 'virtio_pci', required: false },
        { name: 'nonexistent', required: false },
        { name: 'crc32c-intel', required: false },
      ],
      lookup(GRAPH),
    );
    expect(plan.load.map((s) => [s.name, s.required])).toEqual([
      ['overlay', true],
      ['crc32c_intel', false],
    ]);
    expect(plan.skipped).toEqual(['virtio_pci', 'nonexistent']);
  });

  it('keeps a module required when both an optional and a required request need it', async () => {
    const plan = await planModuleLoad(
      [
        { name: 'virtio_pci_modern_dev', required: false },
        { name: 'virtio_blk', required: true },
        { name: 'virtio', required: false },
      ],
      lookup(GRAPH),
    );
    expect(plan.load.find((s) => s.name === 'virtio')?.required).toBe(true);
    expect(plan.load.find((s) => s.name === 'virtio_pci_modern_dev')?.required).toBe(false);
  });

  it('names the missing module and the chain that needs it', async () => {
    const err = await planModuleLoad([{ name: 'virtio_pci', required: true }], lookup(GRAPH)).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(
      /kernel module missing_dep \(needed via virtio_pci → missing_dep\)/,
    );
  });

  it('detects dependency cycles instead of looping', async () => {
    await expect(
      planModuleLoad([{ name: 'a', required: true }], lookup({ a: ['b'], b: ['a'] })),
    ).rejects.toThrow(/cycle: a → b → a/);
  });

  it('normalises dashes to underscores', () => {
    expect(normaliseModuleName(' crc32c-intel ')).toBe('crc32c_intel');
  });
});
