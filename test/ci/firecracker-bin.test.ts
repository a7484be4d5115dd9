// The real-Firecracker switch (test/support/firecracker-bin.ts): which binary
// the end-to-end harnesses write as firecracker_bin, and when they refuse.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { firecrackerBin } from '../support/firecracker-bin.js';
import { STANDIN } from '../support/qemu-standin.js';
import { standinOnlyExcludes } from '../support/standin-only.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-fc-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fakeFirecracker = join(dir, 'firecracker');
writeFileSync(fakeFirecracker, '#!/bin/sh\n');
chmodSync(fakeFirecracker, 0o755);

describe('firecrackerBin', () => {
  it('is the stand-in unless BANGER_E2E_FIRECRACKER is set', () => {
    expect(firecrackerBin(undefined, {})).toBe(STANDIN);
    expect(firecrackerBin('/other/standin.js', { BANGER_E2E_FIRECRACKER: '' })).toBe('/other/standin.js');
  });

  it('is $BANGER_E2E_FIRECRACKER when it is executable and KVM opens', () => {
    // /dev/null stands for a usable /dev/kvm: the probe opens the device read-write.
    expect(firecrackerBin(undefined, { BANGER_E2E_FIRECRACKER: fakeFirecracker }, '/dev/null')).toBe(
      fakeFirecracker,
    );
  });

  it('refuses, naming the device, when KVM is unusable', () => {
    const env = { BANGER_E2E_FIRECRACKER: fakeFirecracker };
    expect(() => firecrackerBin(undefined, env, join(dir, 'no-kvm'))).toThrow(
      `BANGER_E2E_FIRECRACKER is set but ${join(dir, 'no-kvm')} is not usable (ENOENT`,
    );
  });

  it('refuses a path that is not an executable file', () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a program');
    expect(() => firecrackerBin(undefined, { BANGER_E2E_FIRECRACKER: text }, '/dev/null')).toThrow(
      `BANGER_E2E_FIRECRACKER=${text} is not an executable file`,
    );
  });
});

describe('standinOnlyExcludes', () => {
  it('leaves out nothing by default', () => {
    const said: string[] = [];
    expect(standinOnlyExcludes({}, (l) => said.push(l))).toEqual([]);
    expect(said).toEqual([]);
  });

  it('leaves out existing stand-in-only files with BANGER_E2E_FIRECRACKER, saying which and why', () => {
    const said: string[] = [];
    const files = standinOnlyExcludes({ BANGER_E2E_FIRECRACKER: fakeFirecracker }, (l) => said.push(l));
    expect(files).toContain('test/standin/api.test.ts');
    expect(files).toContain('test/vm/no-guest.test.ts');
    for (const file of files) expect(existsSync(file), file).toBe(true);
    expect(said[0]).toBe(
      `BANGER_E2E_FIRECRACKER is set: leaving out ${files.length} stand-in-only test files:`,
    );
    expect(said.slice(1)).toHaveLength(files.length);
    expect(said[1]).toMatch(/^ {2}test\/\S+\.test\.ts: \S/);
  });

  it('is what the integration project excludes', async () => {
    process.env.BANGER_E2E_FIRECRACKER = fakeFirecracker;
    try {
      vi.resetModules();
      const config = (await import('../../vitest.config.js')).default as {
        test: { projects: { test: { name: string; exclude?: string[] } }[] };
      };
      const integration = config.test.projects.find((p) => p.test.name === 'integration');
      expect(integration?.test.exclude).toEqual(expect.arrayContaining(['test/standin/api.test.ts']));
    } finally {
      delete process.env.BANGER_E2E_FIRECRACKER;
    }
  });
});
