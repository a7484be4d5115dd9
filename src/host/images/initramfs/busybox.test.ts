import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { syntheticElf } from '../kernel/testing/synthetic-elf.js';
import { findStaticBusybox, REQUIRED_APPLETS } from './busybox.js';

const APPLETS = REQUIRED_APPLETS.map((a) => `bin/${a}`).join('\n');

describe('findStaticBusybox', () => {
  let dir: string;
  let bin: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'banger-bb-'));
    await mkdir(join(dir, 'bin'));
    bin = join(dir, 'bin', 'busybox');
    await writeFile(bin, syntheticElf({}));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the binary through dpkg -L busybox-static and lists its applets', async () => {
    const runner = new FakeRunner()
      .on(['dpkg', '-L', 'busybox-static'], { stdout: `/.\n/bin\n${bin}\n/usr/share/doc/busybox-static\n` })
      .on([bin, '--list-full'], { stdout: `${APPLETS}\nusr/bin/[\n/sbin/extra\n` });
    const found = await findStaticBusybox(runner);
    expect(found.path).toBe(bin);
    expect(found.applets).toContain('usr/bin/[');
    expect(found.applets).toContain('sbin/extra');
  });

  it('says to install busybox-static when the package is missing', async () => {
    const runner = new FakeRunner().on(['dpkg', '-L'], { exitCode: 1, stderr: 'not installed' });
    await expect(findStaticBusybox(runner)).rejects.toMatchObject({
      code: 'host_unsupported',
      message: expect.stringMatching(/install the busybox-static package/),
    });
  });

  it('rejects a dynamically linked busybox', async () => {
    await writeFile(bin, syntheticElf({ interp: true }));
    await expect(findStaticBusybox(new FakeRunner(), bin)).rejects.toThrow(/not a statically linked/);
  });

  it('rejects a busybox without the applets the init uses', async () => {
    const runner = new FakeRunner().on([bin, '--list-full'], { stdout: 'bin/sh\nbin/mount\n' });
    await expect(findStaticBusybox(runner, bin)).rejects.toThrow(/lacks the applets insmod, ip/);
  });
});
