import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../domain/config.js';
import { rejectionOf } from '../../../testing/app-error.js';
import { validateCreate } from './create-vm.js';
import type { VmServiceDeps } from './vm-service.js';

/**
 * The kernel command line is checked at create, before anything exists or is
 * printed: a VM whose line would not fit Firecracker's limit (with what
 * Firecracker appends) is refused with one line, not created unbootable. No
 * user input makes the line that long today, so the name servers are the lever.
 */
function deps(guestDns: string[]) {
  const touched: string[] = [];
  const d = {
    config: applyDefaults({}),
    hostFacts: { cpus: 2, memoryMib: 4096 },
    guestDns,
    repo: { ipForName: () => undefined },
    images: {
      resolve: () => touched.push('images.resolve'),
      ensure: () => touched.push('images.ensure'),
    },
    firecrackerBin: async () => touched.push('firecrackerBin'),
    network: async () => touched.push('network'),
  } as unknown as VmServiceDeps;
  return { d, touched };
}

describe('validateCreate and the kernel command line', () => {
  it('refuses a VM whose command line would exceed Firecracker’s limit, before anything else', async () => {
    const { d, touched } = deps(Array.from({ length: 250 }, (_, i) => `10.0.${i}.1`));
    const stages: unknown[] = [];
    const err = await rejectionOf(validateCreate(d, { name: 'too-long' }, (e) => stages.push(e)));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/kernel command line/);
    expect(err.message).not.toContain('\n');
    expect(stages).toEqual([]);
    expect(touched).toEqual([]);
  });

  it('goes on to the image and host checks when the line fits', async () => {
    const { d, touched } = deps(['172.16.0.1', '10.0.0.1']);
    await validateCreate(d, { name: 'fits', image: 'img' }, () => {});
    expect(touched).toEqual(['images.resolve', 'firecrackerBin', 'network']);
  });
});
