// A golden-image build whose mirror cannot be reached (a network namespace
// with only loopback) fails with mmdebstrap's own reason, not its closing line.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bootstrapTarball } from '../../src/host/images/golden/bootstrap.js';
import { BuildLog } from '../../src/host/images/golden/build-log.js';
import { createNetns, destroyAllNetns } from '../support/netns.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-offline-build-'));
afterAll(async () => {
  await destroyAllNetns();
  rmSync(dir, { recursive: true, force: true });
});

it('names the resolution failure and keeps the build log', async () => {
  const ns = await createNetns('offline');
  const log = new BuildLog(join(dir, 'build.log'));
  mkdirSync(join(dir, 'tmp'));
  const err = await bootstrapTarball({
    runner: ns.runner,
    mode: 'root',
    packages: ['openssh-server'],
    tarPath: join(dir, 'rootfs.tar'),
    tmpDir: join(dir, 'tmp'),
    log,
  }).catch((e: Error) => e);
  log.close();
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toMatch(
    /^mmdebstrap failed: Failed to fetch http:\/\/deb\.debian\.org\/\S+ Temporary failure resolving 'deb\.debian\.org'; see the build log .*build\.log$/,
  );
  expect(readFileSync(join(dir, 'build.log'), 'utf8')).toContain('E: mmdebstrap failed to run');
}, 120_000);
