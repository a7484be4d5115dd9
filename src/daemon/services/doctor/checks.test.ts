import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../domain/config.js';
import { AppError } from '../../../domain/errors.js';
import { which } from '../../../host/probe.js';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { defaultChecks, guestAgentCheck, kernelKeyringCheck, tunDeviceCheck } from './checks.js';
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

describe('doctor: host tools for kernel pulls', () => {
  const KERNEL_TOOLS = ['dpkg-deb', 'gpgv', 'xz', 'lz4', 'zstd', 'bzip2'];

  it('fails the one tool hidden from PATH, with its package, and passes the others', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'banger-path-'));
    const saved = process.env.PATH;
    try {
      for (const tool of KERNEL_TOOLS) {
        const real = which(tool);
        if (real === undefined) throw new Error(`${tool} must be installed for this test (.ci/packages.txt)`);
        if (tool !== 'lz4') symlinkSync(real, join(bin, tool));
      }
      process.env.PATH = bin;
      const results = new Map<string, unknown>();
      for (const tool of KERNEL_TOOLS) {
        const check = defaultChecks.find((c) => c.id === `tool:${tool}`);
        results.set(tool, await check?.run({} as DoctorContext));
      }
      expect(results.get('lz4')).toEqual({
        status: 'fail',
        detail: 'lz4 not found',
        fix: 'sudo apt-get install lz4 (or: sudo banger system setup --install-packages)',
      });
      for (const tool of KERNEL_TOOLS.filter((t) => t !== 'lz4'))
        expect(results.get(tool), tool).toEqual({ status: 'pass', detail: join(bin, tool) });
      expect(defaultChecks.find((c) => c.id === 'tool:dpkg-deb')?.title).toBe(
        'dpkg-deb (unpacking kernel packages)',
      );
    } finally {
      process.env.PATH = saved;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('doctor: /dev/net/tun', () => {
  it('is one of the default checks', () => {
    expect(defaultChecks.some((c) => c.id === 'net-tun')).toBe(true);
  });

  it('fails with the chmod and udev fix when the node cannot be opened', async () => {
    const result = await tunDeviceCheck('/nonexistent/tun').run({} as DoctorContext);
    expect(result).toEqual({
      status: 'fail',
      detail: '/nonexistent/tun is missing or not accessible to this user',
      fix: 'sudo chmod 0666 /nonexistent/tun (as most distributions ship it); to keep it across reboots, a udev rule: KERNEL=="tun", MODE="0666"',
    });
  });

  it('passes when the user can read and write it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banger-tun-'));
    try {
      writeFileSync(join(dir, 'tun'), '', { mode: 0o666 });
      expect(await tunDeviceCheck(join(dir, 'tun')).run({} as DoctorContext)).toEqual({
        status: 'pass',
        detail: `${join(dir, 'tun')} is accessible`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('guest agent check', () => {
  it('passes with the binary this checkout built, and fails with the rebuild hint without one', async () => {
    expect(await guestAgentCheck().run({} as DoctorContext)).toEqual({
      status: 'pass',
      detail: expect.stringMatching(/\/dist\/guest\/banger-agent$/),
    });
    const missing = guestAgentCheck(() => {
      throw new AppError(
        'host_unsupported',
        'the guest agent X is missing; rebuild banger with `npm run build`',
      );
    });
    expect(await missing.run({} as DoctorContext)).toEqual({
      status: 'fail',
      detail: 'the guest agent X is missing',
      fix: 'rebuild banger with `npm run build`',
    });
  });
});
