import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../domain/config.js';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { defaultChecks, kernelKeyringCheck } from './checks.js';
import type { DoctorContext } from './registry.js';

const check = defaultChecks.find((c) => c.id === 'mmdebstrap-mode');

describe('doctor: mmdebstrap mode', () => {
  it('warns with an install line when mmdebstrap cannot run', async () => {
    const runner = new FakeRunner().on(['mmdebstrap', '--version'], { exitCode: 127 });
    const result = await check?.run({ runner } as unknown as DoctorContext);
    expect(result).toMatchObject({
      status: 'warn',
      fix: expect.stringMatching(/apt-get install mmdebstrap/),
    });
  });

  it('names the mode it will use', async () => {
    const runner = new FakeRunner().on(['mmdebstrap', '--version'], { stdout: 'mmdebstrap 1.3.5\n' });
    const result = await check?.run({ runner } as unknown as DoctorContext);
    const expected = process.geteuid?.() === 0 ? /--mode=root/ : /--mode=unshare|not possible/;
    expect(result?.detail).toMatch(expected);
  });
});

describe('doctor: kernel keyring', () => {
  const ctx = (insecure: boolean) =>
    ({ config: applyDefaults({ insecure_skip_kernel_signature: insecure }) }) as unknown as DoctorContext;

  it('is one of the default checks', () => {
    expect(defaultChecks.some((c) => c.id === 'kernel-keyring')).toBe(true);
  });

  it('warns when the keyring is missing: kernel pulls are refused', async () => {
    const result = await kernelKeyringCheck('/nonexistent/debian-archive-keyring.gpg').run(ctx(false));
    expect(result).toEqual({
      status: 'warn',
      detail:
        '/nonexistent/debian-archive-keyring.gpg is missing, so kernel pulls are refused (their signature cannot be checked)',
      fix: 'sudo apt-get install debian-archive-keyring',
    });
  });

  it('passes with the keyring, and warns whenever the check is switched off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banger-keyring-'));
    try {
      const keyring = join(dir, 'keyring.gpg');
      writeFileSync(keyring, '');
      expect(await kernelKeyringCheck(keyring).run(ctx(false))).toEqual({ status: 'pass', detail: keyring });
      expect(await kernelKeyringCheck(keyring).run(ctx(true))).toMatchObject({
        status: 'warn',
        fix: 'remove insecure_skip_kernel_signature from config.toml',
      });
      expect(await kernelKeyringCheck(join(dir, 'missing')).run(ctx(true))).toMatchObject({
        status: 'warn',
        fix: 'sudo apt-get install debian-archive-keyring, then remove insecure_skip_kernel_signature from config.toml',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
