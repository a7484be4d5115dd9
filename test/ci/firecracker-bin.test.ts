// The real-Firecracker switch (test/support/firecracker-bin.ts): which binary
// the end-to-end harnesses write as firecracker_bin, and when they refuse.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firecrackerBin, standinOnly } from '../support/firecracker-bin.js';
import { STANDIN } from '../support/qemu-standin.js';

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

describe('standinOnly', () => {
  it('skips only when BANGER_E2E_FIRECRACKER is set', () => {
    expect(standinOnly('why', {})).toBe(false);
    expect(standinOnly('why', { BANGER_E2E_FIRECRACKER: fakeFirecracker })).toBe(true);
  });
});
