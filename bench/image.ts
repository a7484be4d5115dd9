// Image pull benchmark: banger's pull + flatten + ext4 against the floor on
// this machine (`tar -x` of the same layers + `mkfs.ext4 -d`), as a ratio.
// Not a test: it prints numbers. Run as root (tar and banger then both keep owners).
//
//   npx esbuild --bundle --platform=node --format=esm --packages=external \
//     bench/image.ts --outfile=dist/bench/image.js && node dist/bench/image.js [--runs N] [--scale S] [--dir D] [--json]
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ext4Geometry, measureTree } from '../src/host/images/oci/ext4.js';
import { type PullProgress, pullImage } from '../src/host/images/oci/index.js';
import { SpawnRunner } from '../src/host/runner.js';
import { type Layer, layerOf, writeLayout } from '../test/oci/helpers/layout.js';
import { pushLayout, startRegistry } from '../test/oci/helpers/registry.js';
import { benchLayers } from './image-fixture.js';
import { median, progressLog } from './stats.js';

const runner = new SpawnRunner();
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    dir: { type: 'string', default: tmpdir() },
  },
});
const runs = Math.max(1, Number(values.runs));
const scale = Number(values.scale);

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const log = progressLog(values.json);

async function settle(): Promise<void> {
  // Keep runs comparable: write back dirty pages left by the previous run.
  await runner.run(['sync']);
}

/** banger: a pull with a cold (empty) or warm blob cache; returns the total and per-stage times. */
async function timeBanger(ref: string, dir: string, cacheDir: string) {
  const stages = new Map<string, number>();
  let last = performance.now();
  let stage = '';
  const onProgress = (e: PullProgress) => {
    const now = performance.now();
    if (stage) stages.set(stage, (stages.get(stage) ?? 0) + now - last);
    stage = e.stage;
    last = now;
  };
  const t0 = performance.now();
  const image = await pullImage({ ref, cacheDir, workDir: join(dir, 'work'), runner, onProgress });
  const total = performance.now() - t0;
  if (stage) stages.set(stage, (stages.get(stage) ?? 0) + performance.now() - last);
  await image.cleanup();
  return { total, stages };
}

/**
 * The floor: tar -x each layer file in order into one directory, then mkfs.ext4 -d of the same
 * size. Also times removing the tree afterwards, which banger's pull includes and the floor does not.
 */
async function timeFloor(
  layerFiles: string[],
  dir: string,
): Promise<{ total: number; tarx: number; rm: number }> {
  const root = join(dir, 'floor-root');
  await mkdir(root);
  const t0 = performance.now();
  for (const file of layerFiles) await runner.run(['tar', '-xzf', file, '-C', root]);
  const tarx = performance.now() - t0;
  const { bytes, inodes } = ext4Geometry(await measureTree(root));
  const img = join(dir, 'floor.ext4');
  await runner.run(['truncate', '-s', String(bytes), img]);
  await runner.run([
    'mkfs.ext4',
    '-q',
    '-F',
    '-b',
    '4096',
    '-I',
    '256',
    '-N',
    String(inodes),
    '-m',
    '0',
    '-E',
    'root_owner=0:0',
    '-d',
    root,
    img,
  ]);
  const total = performance.now() - t0;
  const t1 = performance.now();
  await rm(root, { recursive: true, force: true });
  const removal = performance.now() - t1;
  await rm(img, { force: true });
  return { total, tarx, rm: removal };
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(values.dir, 'banger-bench-image-'));
  const registry = await startRegistry();
  try {
    log(`generating layers (scale ${scale}) ...`);
    const fixture = benchLayers(scale);
    const layers: Layer[] = [];
    for (const entries of fixture.layers) layers.push(await layerOf(entries));
    const layout = join(scratch, 'layout');
    await writeLayout(layout, 'bench', [{ layers }]);
    const layerFiles: string[] = [];
    for (const [i, layer] of layers.entries()) {
      const file = join(scratch, `layer${i}.tar.gz`);
      await writeFile(file, layer.bytes);
      layerFiles.push(file);
    }
    await pushLayout(layout, 'bench', `${registry.host}/bench:latest`);
    const compressed = layers.reduce((s, l) => s + l.size, 0);
    log(
      `${layers.length} layers, ${fixture.files} files, ${(fixture.bytes / 1e6).toFixed(0)} MB uncompressed, ${(compressed / 1e6).toFixed(0)} MB compressed; ${runs} runs each`,
    );
    const ref = `${registry.host}/bench:latest`;
    const cold: number[] = [];
    const warm: number[] = [];
    const floor: number[] = [];
    const floorTarx: number[] = [];
    const floorRm: number[] = [];
    const stageTimes = new Map<string, number[]>();
    for (let i = 0; i < runs; i++) {
      const dir = await mkdtemp(join(scratch, `run${i}-`));
      const cacheDir = join(dir, 'cache');
      await settle();
      const c = await timeBanger(ref, dir, cacheDir);
      cold.push(c.total);
      for (const [k, v] of c.stages) stageTimes.set(k, [...(stageTimes.get(k) ?? []), v]);
      await settle();
      warm.push((await timeBanger(ref, dir, cacheDir)).total);
      await settle();
      const f = await timeFloor(layerFiles, dir);
      floor.push(f.total);
      floorTarx.push(f.tarx);
      floorRm.push(f.rm);
      await rm(dir, { recursive: true, force: true });
      log(
        `run ${i + 1}: banger cold ${seconds(c.total)} s, warm ${seconds(warm.at(-1) ?? 0)} s, floor ${seconds(floor.at(-1) ?? 0)} s`,
      );
    }
    const result = {
      layers: layers.length,
      files: fixture.files,
      uncompressedBytes: fixture.bytes,
      compressedBytes: compressed,
      runs,
      medianSeconds: {
        bangerColdCache: Number(seconds(median(cold))),
        bangerWarmCache: Number(seconds(median(warm))),
        floorTarXMkfs: Number(seconds(median(floor))),
        floorTarXOnly: Number(seconds(median(floorTarx))),
        floorTreeRemoval: Number(seconds(median(floorRm))),
      },
      coldStagesMedianSeconds: Object.fromEntries(
        [...stageTimes].map(([k, v]) => [k, Number(seconds(median(v)))]),
      ),
      ratio: {
        cold: Number((median(cold) / median(floor)).toFixed(2)),
        warm: Number((median(warm) / median(floor)).toFixed(2)),
      },
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const m = result.medianSeconds;
      process.stdout.write(
        [
          `image: ${result.layers} layers, ${result.files} files, ${(result.uncompressedBytes / 1e6).toFixed(0)} MB (${(result.compressedBytes / 1e6).toFixed(0)} MB gzip), median of ${runs}`,
          `banger pull+flatten+ext4, cold cache: ${m.bangerColdCache} s  (ratio ${result.ratio.cold}x)`,
          `banger pull+flatten+ext4, warm cache: ${m.bangerWarmCache} s  (ratio ${result.ratio.warm}x)`,
          `floor tar -x + mkfs.ext4 -d:          ${m.floorTarXMkfs} s  (tar -x alone ${m.floorTarXOnly} s; removing the tree, which banger's time includes, ${m.floorTreeRemoval} s)`,
          `banger cold stages (approximate): ${Object.entries(result.coldStagesMedianSeconds)
            .map(([k, v]) => `${k} ${v} s`)
            .join(', ')}`,
          '',
        ].join('\n'),
      );
    }
    await stat(scratch);
  } finally {
    await registry.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
