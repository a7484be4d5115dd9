import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageInfo } from '../../src/api/images.js';
import { BlobCache } from '../../src/host/images/oci/index.js';
import { imageBlobs, layerOf, OCI } from '../oci/helpers/layout.js';
import { serve, type TestServer } from '../oci/helpers/proxy.js';
import { BANGER, createSandbox, type Sandbox } from '../support/sandbox.js';
import { makeKernelSet, pathsOf } from './support.js';

let sb: Sandbox;
let slow: TestServer;
let trickling = false;

beforeAll(async () => {
  const layer = await layerOf([{ name: 'big', content: 'z'.repeat(300_000) }], false);
  const { config, manifest } = imageBlobs({ layers: [layer] });
  // A registry that sends a little of the layer and then stalls forever.
  slow = await serve((req, res) => {
    const path = req.url ?? '';
    if (path === '/v2/') res.end('{}');
    else if (path.endsWith('/manifests/v1')) {
      res.setHeader('content-type', OCI.manifest);
      res.end(manifest.bytes);
    } else if (path.endsWith(config.digest)) res.end(config.bytes);
    else {
      trickling = true;
      res.setHeader('content-length', String(layer.size));
      res.write(layer.bytes.subarray(0, 1000));
    }
  });
  sb = createSandbox();
  await makeKernelSet(join(pathsOf(sb).kernelsDir, 'debian-bookworm-cloud'));
}, 120_000);

afterAll(async () => {
  sb?.cleanup();
  await slow?.stop();
});

const waitFor = async (what: string, ok: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const imageNames = () =>
  imageInfo
    .array()
    .parse(JSON.parse(sb.banger(['image', 'list', '--json']).stdout))
    .map((i) => i.name);

describe('killing the daemon mid-operation', () => {
  it('leaves no registered half image and no temp files once the daemon is back', async () => {
    const paths = pathsOf(sb);
    const cache = new BlobCache(paths.cacheDir);
    const cli = spawn(process.execPath, [BANGER, 'image', 'pull', `${slow.host}/slow:v1`, '--name', 'half'], {
      env: sb.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => cli.once('exit', (code) => r(code)));
    await waitFor('the layer download to start', () => trickling);
    await waitFor('a partial blob', () => existsSync(cache.tmpDir) && readdirSync(cache.tmpDir).length > 0);
    expect(readdirSync(paths.tmpDir).filter((n) => n.startsWith('oci-pull-'))).toHaveLength(1);

    const status = JSON.parse(sb.banger(['daemon', 'status', '--json']).stdout) as { pid: number };
    process.kill(status.pid, 'SIGKILL');
    expect(await exited).toBe(7); // daemon_unavailable: the stream ended before `done`
    expect(stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^banger: the daemon closed the stream before finishing/,
    );
    // The killed daemon's leftovers are there until a daemon starts again.
    expect(readdirSync(paths.tmpDir)).not.toEqual([]);

    // Plant what a crash at the other points would leave: a staging dir, an image dir renamed in
    // but never recorded, and a kernel set temp dir.
    mkdirSync(join(paths.tmpDir, 'image-staging-other-abc'), { recursive: true });
    writeFileSync(join(paths.tmpDir, 'image-staging-other-abc', 'rootfs.ext4'), 'half');
    mkdirSync(join(paths.imagesDir, 'unrecorded'), { recursive: true });
    mkdirSync(join(paths.kernelsDir, '.kernel-tmp-x-123', 'set'), { recursive: true });
    // And a builder process that outlived its daemon, still working in its staging dir.
    const orphan = spawn(
      process.execPath,
      ['-e', 'setTimeout(() => {}, 600000)', join(paths.tmpDir, 'image-staging-other-abc', 'rootfs.ext4')],
      { detached: true, stdio: 'ignore' },
    );
    const orphanGone = new Promise((r) => orphan.once('exit', r));

    expect(imageNames()).toEqual([]); // starts a fresh daemon
    expect(readdirSync(paths.tmpDir)).toEqual([]);
    expect(readdirSync(cache.tmpDir)).toEqual([]);
    expect(readdirSync(paths.imagesDir)).toEqual([]);
    expect(readdirSync(paths.kernelsDir)).toEqual(['debian-bookworm-cloud']);
    await orphanGone;
    expect(orphan.signalCode).toBe('SIGKILL');
  });
});
