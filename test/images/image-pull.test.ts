import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageDetail, imageInfo, kernelInfo } from '../../src/api/images.js';
import { BASE_LAYER, EXPECTED_TREE, SECOND_LAYER, THIRD_LAYER } from '../oci/fixtures.js';
import { listExt4 } from '../oci/helpers/ext4-list.js';
import { layerOf, writeLayout } from '../oci/helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from '../oci/helpers/registry.js';
import { createSandbox, type Sandbox } from '../support/sandbox.js';
import { makeKernelSet, oneLine, pathsOf } from './support.js';

let registry: TestRegistry;
let scratch: string;
let sb: Sandbox;

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-image-pull-'));
  const layers = [await layerOf(BASE_LAYER), await layerOf(SECOND_LAYER), await layerOf(THIRD_LAYER, false)];
  await writeLayout(join(scratch, 'layout'), 'v1', [{ layers }]);
  await pushLayout(join(scratch, 'layout'), 'v1', `${registry.host}/team/tree:v1`);
  sb = createSandbox();
  // The default kernel set is in place already, so the pull does not fetch Debian's kernel.
  await makeKernelSet(join(pathsOf(sb).kernelsDir, 'debian-bookworm-cloud'));
}, 180_000);

afterAll(async () => {
  sb?.cleanup();
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('banger image pull', () => {
  it('pulls a multi-layer image from a real registry into a managed image paired with the default kernel', async () => {
    const ref = `${registry.host}/team/tree:v1`;
    const r = sb.banger(['image', 'pull', ref]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`→ resolving ${ref}`);
    expect(lines.some((l) => /^→ .*layer/i.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^image tree-v1 pulled \(\d+(\.\d)?M\)$/);

    const [image] = imageInfo.array().parse(JSON.parse(sb.banger(['image', 'list', '--json']).stdout));
    const dir = join(pathsOf(sb).imagesDir, 'tree-v1');
    expect(image).toMatchObject({
      name: 'tree-v1',
      managed: true,
      rootfs: join(dir, 'rootfs.ext4'),
      kernel: { kind: 'set', name: 'debian-bookworm-cloud' },
      source: { kind: 'oci', reference: ref, manifestDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
    expect(readdirSync(dir)).toEqual(['rootfs.ext4']);
    expect(await listExt4(join(dir, 'rootfs.ext4'))).toEqual(EXPECTED_TREE);
    expect(readdirSync(pathsOf(sb).tmpDir)).toEqual([]);

    const kernel = kernelInfo.parse(
      JSON.parse(sb.banger(['kernel', 'show', 'debian-bookworm-cloud', '--json']).stdout),
    );
    expect(kernel.usedBy).toEqual(['tree-v1']);
    const shown = imageDetail.parse(JSON.parse(sb.banger(['image', 'show', 'tree-v1', '--json']).stdout));
    expect(shown.kernelVersion).toBe(kernel.version);
  });

  it('refuses a taken name, an unknown tag and a bad name with one line, creating nothing', () => {
    const taken = sb.banger(['image', 'pull', `${registry.host}/team/tree:v1`]);
    expect(taken.status).toBe(5);
    expect(oneLine(taken.stderr)).toBe(
      'banger: an image named "tree-v1" already exists; pick another --name or `banger image delete tree-v1`',
    );
    const missing = sb.banger(['image', 'pull', `${registry.host}/team/tree:nope`, '--name', 'other']);
    expect(missing.status, missing.stderr).toBe(4);
    expect(missing.stderr.trimEnd().split('\n').at(-1)).toMatch(/^banger: .*nope/);
    const badName = sb.banger(['image', 'pull', `${registry.host}/team/tree:v1`, '--name', 'No_Good']);
    expect(badName.status).toBe(2);
    expect(oneLine(badName.stderr)).toMatch(/^banger: invalid image name "No_Good"/);
    const names = imageInfo
      .array()
      .parse(JSON.parse(sb.banger(['image', 'list', '--json']).stdout))
      .map((i) => i.name);
    expect(names).toEqual(['tree-v1']);
    expect(readdirSync(pathsOf(sb).imagesDir)).toEqual(['tree-v1']);
    expect(readdirSync(pathsOf(sb).tmpDir)).toEqual([]);
  });

  it('pulls the same image under another name from the blob cache, and delete removes its files', () => {
    const r = sb.banger(['image', 'pull', `${registry.host}/team/tree:v1`, '--name', 'copy']);
    expect(r.status, r.stderr).toBe(0);
    expect(sb.banger(['image', 'delete', 'copy']).status).toBe(0);
    expect(existsSync(join(pathsOf(sb).imagesDir, 'copy'))).toBe(false);
    expect(sb.banger(['kernel', 'delete', 'debian-bookworm-cloud']).status).toBe(5);
  });
});
