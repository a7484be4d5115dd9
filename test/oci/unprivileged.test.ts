import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { BASE_LAYER, EXPECTED_TREE, SECOND_LAYER, THIRD_LAYER } from './fixtures.js';
import { listExt4 } from './helpers/ext4-list.js';
import { layerOf, writeLayout } from './helpers/layout.js';
import { pushLayout, startRegistry, type TestRegistry } from './helpers/registry.js';

// The daemon runs as the user (DESIGN §5): prove a pull works without root,
// with owners and modes restored in the ext4 image by debugfs.
const NOBODY = 65534;
const runner = new SpawnRunner();
let registry: TestRegistry;
let scratch: string;
let cli: string;

beforeAll(async () => {
  registry = await startRegistry();
  scratch = await mkdtemp(join(tmpdir(), 'banger-oci-unpriv-'));
  // nobody must reach its own directory and the bundled script inside.
  await chmod(scratch, 0o755);
  const layers = [await layerOf(BASE_LAYER), await layerOf(SECOND_LAYER), await layerOf(THIRD_LAYER)];
  const layout = join(scratch, 'layout');
  await writeLayout(layout, 'v1', [{ layers }]);
  await pushLayout(layout, 'v1', `${registry.host}/tree:v1`);
  // Bundled with its dependencies so it runs from a directory the unprivileged user can read.
  cli = join(scratch, 'pull-cli.mjs');
  await build({
    entryPoints: ['test/oci/helpers/pull-cli.ts'],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('pulling without root', () => {
  it('builds the exact tree as an unprivileged user (nobody)', async () => {
    const home = join(scratch, 'nobody');
    await mkdir(home, { mode: 0o755 });
    await chown(home, NOBODY, NOBODY);
    const { stdout } = await runner.run(
      [
        'setpriv',
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        process.execPath,
        cli,
        `${registry.host}/tree:v1`,
        join(home, 'cache'),
        join(home, 'work'),
      ],
      {
        env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: home },
        timeoutMs: 120_000,
      },
    );
    const result = JSON.parse(stdout) as { euid: number; ownership: string; rootfsPath: string };
    expect(result).toMatchObject({ euid: NOBODY, ownership: 'debugfs' });
    expect(await listExt4(result.rootfsPath)).toEqual(EXPECTED_TREE);
    await runner.run(['e2fsck', '-fn', result.rootfsPath]);
  });
});
