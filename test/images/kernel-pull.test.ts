import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelInfo } from '../../src/api/images.js';
import { testKernel } from '../support/kernel-fixture.js';
import { BANGER, createSandbox, type Sandbox } from '../support/sandbox.js';
import { oneLine } from './support.js';

let sb: Sandbox;
// A cache shared by test runs, so Debian's .deb is downloaded once per machine (it is verified on every use).
// Machines whose HTTPS goes through an inspecting proxy name its CA here; the sandbox must keep it.
const cacheEnv: Record<string, string> = {
  XDG_CACHE_HOME: join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'banger-test',
    'daemon-cache',
  ),
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
};

beforeAll(() => {
  sb = createSandbox();
});
afterAll(() => sb?.cleanup());

const cli = (args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BANGER, ...args], {
      env: { ...sb.env, ...cacheEnv },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.once('exit', (status) => resolve({ status, stderr }));
  });

describe('banger kernel pull', () => {
  it("fetches Debian's cloud kernel once for two concurrent pulls and builds its kernel set", async () => {
    // The daemon starts first, so both pulls reach the same daemon.
    expect(sb.banger(['daemon', 'status'], cacheEnv).status).toBe(0);
    const [a, b] = await Promise.all([
      cli(['kernel', 'pull', 'debian-bookworm-cloud']),
      cli(['kernel', 'pull', 'debian-bookworm-cloud']),
    ]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const { version } = await testKernel();
    for (const r of [a, b])
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`kernel debian-bookworm-cloud ${version} pulled`);

    const [k] = kernelInfo.array().parse(JSON.parse(sb.banger(['kernel', 'list', '--json']).stdout));
    expect(k).toMatchObject({ name: 'debian-bookworm-cloud', version, usedBy: [] });
    expect(k?.source).toMatchObject({
      kind: 'deb',
      catalog: 'debian-bookworm-cloud',
      package: `linux-image-${version}`,
    });
    expect(k?.initrdModules).toEqual(expect.arrayContaining(['virtio_blk', 'virtio_net', 'overlay']));
    expect(sb.banger(['kernel', 'list', '--available']).stdout).toMatch(/^debian-bookworm-cloud +yes +/m);

    const again = sb.banger(['kernel', 'pull', 'debian-bookworm-cloud']);
    expect(again.status).toBe(5);
    expect(oneLine(again.stderr)).toBe(
      'banger: kernel debian-bookworm-cloud is pulled already; `banger kernel delete debian-bookworm-cloud` first to pull it again',
    );
  }, 600_000);
});
