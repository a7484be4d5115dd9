import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { HOST_TOOLS } from './host-tools.js';
import { installMissingPackages } from './install-packages.js';

/** A host with every tool but `hidden`, and apt-get unless told otherwise. */
const hostWithout =
  (hidden: readonly string[], aptGet = true) =>
  (tool: string) => {
    if (tool === 'apt-get') return aptGet ? '/usr/bin/apt-get' : undefined;
    return hidden.includes(tool) ? undefined : `/usr/bin/${tool}`;
  };

describe('installMissingPackages', () => {
  it('does nothing when every tool is there', async () => {
    const runner = new FakeRunner();
    expect(await installMissingPackages({ runner, find: hostWithout([]) })).toEqual({
      action: 'all-present',
    });
    expect(runner.calls).toEqual([]);
  });

  it('installs each missing package once with apt-get, non-interactively', async () => {
    const runner = new FakeRunner().on(['/usr/bin/apt-get'], {});
    const report = await installMissingPackages({
      runner,
      find: hostWithout(['lz4', 'e2fsck', 'resize2fs']),
    });
    expect(report).toEqual({
      action: 'installed',
      packages: ['e2fsprogs', 'lz4'],
      tools: ['e2fsck', 'resize2fs', 'lz4'],
    });
    expect(runner.calls).toEqual([
      ['/usr/bin/apt-get', 'install', '-y', '--no-install-recommends', 'e2fsprogs', 'lz4'],
    ]);
  });

  it('asks first when told to, and installs nothing when declined', async () => {
    const runner = new FakeRunner();
    const asked: (readonly string[])[] = [];
    const report = await installMissingPackages({
      runner,
      find: hostWithout(['zstd']),
      confirm: async (p) => {
        asked.push(p);
        return false;
      },
    });
    expect(asked).toEqual([['zstd']]);
    expect(report).toEqual({ action: 'declined', packages: ['zstd'], tools: ['zstd'] });
    expect(runner.calls).toEqual([]);
  });

  it('names the packages when there is no apt-get', async () => {
    const err = await installMissingPackages({
      runner: new FakeRunner(),
      find: hostWithout(['gpgv', 'git'], false),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'host_unsupported',
      message:
        "apt-get not found; install these packages (Debian names) with your distribution's package manager: git gpgv",
    });
  });

  it('passes apt-get failures on', async () => {
    const runner = new FakeRunner().on(['/usr/bin/apt-get'], {
      exitCode: 100,
      stderr: 'E: Unable to locate package lz4\n',
    });
    await expect(installMissingPackages({ runner, find: hostWithout(['lz4']) })).rejects.toThrow(
      /Unable to locate package lz4/,
    );
  });

  it('covers every tool doctor checks', () => {
    expect(HOST_TOOLS.map((t) => t.tool)).toEqual(
      expect.arrayContaining(['ip', 'mmdebstrap', 'lz4', 'gpgv']),
    );
  });
});
