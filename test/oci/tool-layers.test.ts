import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullImage } from '../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../src/host/runner.js';
import { listExt4 } from './helpers/ext4-list.js';
import { blobOf, tarOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;

const MOUNT_POINTS = [
  '/dev 040755 0:0',
  '/proc 040555 0:0',
  '/run 040755 0:0',
  '/sys 040555 0:0',
  '/tmp 041777 0:0',
];

/** An image made by umoci: one layer of content, one whiteout layer, one opaque directory layer. */
async function umociImage(dir: string): Promise<string> {
  const src = join(dir, 'src1');
  await mkdir(join(src, 'etc', 'conf'), { recursive: true });
  await mkdir(join(src, 'opt', 'app'), { recursive: true });
  await writeFile(join(src, 'etc', 'conf', 'a'), 'a');
  await writeFile(join(src, 'etc', 'conf', 'b'), 'b');
  await writeFile(join(src, 'opt', 'app', 'old'), 'old');
  await writeFile(join(src, 'opt', 'app', 'keep'), 'keep');
  await chown(join(src, 'opt', 'app', 'keep'), 1234, 5678);
  await chmod(join(src, 'opt', 'app', 'keep'), 0o4750);
  const src2 = join(dir, 'src2');
  await mkdir(src2);
  await writeFile(join(src2, 'c'), 'c');
  const layout = join(dir, 'umoci');
  const image = `${layout}:t`;
  await runner.run(['umoci', 'init', '--layout', layout]);
  await runner.run(['umoci', 'new', '--image', image]);
  await runner.run(['umoci', 'insert', '--image', image, src, '/']);
  await runner.run(['umoci', 'insert', '--image', image, '--whiteout', '/opt/app/old']);
  await runner.run(['umoci', 'insert', '--image', image, '--opaque', src2, '/etc/conf']);
  return layout;
}

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-tools-'));
  await pushLayout(await umociImage(scratch), 't', `${registry.host}/umoci:t`);
  // A zstd-compressed layer, compressed by the zstd tool.
  const tar = await tarOf([
    { name: 'usr/', type: 'directory' },
    { name: 'usr/zst', content: 'zstd layer' },
  ]);
  const tarPath = join(scratch, 'layer.tar');
  await writeFile(tarPath, tar);
  await runner.run(['zstd', '-q', '-19', '-o', `${tarPath}.zst`, tarPath]);
  const zst = blobOf(await readFile(`${tarPath}.zst`));
  const layout = join(scratch, 'zstd');
  await writeLayout(layout, 'z', [{ layers: [{ ...zst, diffId: blobOf(tar).digest }] }]);
  // writeLayout labels non-gzip layers as plain tar; say zstd as a real image would.
  const manifestDir = join(layout, 'blobs', 'sha256');
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; size: number }[];
  };
  const top = index.manifests[0];
  if (!top) throw new Error('no manifest');
  const manifest = JSON.parse(await readFile(join(manifestDir, top.digest.slice(7)), 'utf8')) as {
    layers: { mediaType: string }[];
  };
  for (const l of manifest.layers) l.mediaType = 'application/vnd.oci.image.layer.v1.tar+zstd';
  const relabeled = blobOf(Buffer.from(JSON.stringify(manifest)));
  await writeFile(join(manifestDir, relabeled.digest.slice(7)), relabeled.bytes);
  top.digest = relabeled.digest;
  top.size = relabeled.size;
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
  await pushLayout(layout, 'z', `${registry.host}/zstd:z`);
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function pull(ref: string): Promise<string[]> {
  const base = await mkdtemp(join(scratch, 'pull-'));
  const image = await pullImage({ ref, cacheDir: join(base, 'cache'), workDir: join(base, 'work'), runner });
  try {
    await runner.run(['e2fsck', '-fn', image.rootfsPath]);
    return await listExt4(image.rootfsPath);
  } finally {
    await image.cleanup();
  }
}

describe('layers made by real tools', () => {
  it('flattens umoci layers: root entry "/", whiteout, opaque directory, owners and setuid', async () => {
    expect(await pull(`${registry.host}/umoci:t`)).toEqual(
      [
        '/etc 040755 0:0',
        '/etc/conf 040755 0:0',
        '/etc/conf/c 100644 0:0 "c"',
        '/opt 040755 0:0',
        '/opt/app 040755 0:0',
        '/opt/app/keep 104750 1234:5678 "keep"',
        ...MOUNT_POINTS,
      ].sort(),
    );
  });

  it('extracts a zstd layer through the zstd tool', async () => {
    expect(await pull(`${registry.host}/zstd:z`)).toEqual(
      ['/usr 040755 0:0', '/usr/zst 100644 0:0 "zstd layer"', ...MOUNT_POINTS].sort(),
    );
  });
});
