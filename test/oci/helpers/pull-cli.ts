// A tiny command line around pullImage, bundled and run as an unprivileged
// user by the tests: `node pull-cli.mjs <ref> <cacheDir> <workDir>`.
// Prints one JSON line describing the result; the caller removes buildDir.
import { defaultOwnershipMode, pullImage } from '../../../src/host/images/oci/index.js';
import { SpawnRunner } from '../../../src/host/runner.js';

const [ref, cacheDir, workDir] = process.argv.slice(2);
if (!ref || !cacheDir || !workDir) throw new Error('usage: pull-cli <ref> <cacheDir> <workDir>');
const image = await pullImage({ ref, cacheDir, workDir, runner: new SpawnRunner() });
process.stdout.write(
  `${JSON.stringify({
    euid: process.geteuid?.(),
    ownership: defaultOwnershipMode(),
    rootfsPath: image.rootfsPath,
    buildDir: image.buildDir,
  })}\n`,
);
