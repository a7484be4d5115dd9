// A stand-in for the daemon in the kill test: builds the golden image into
// argv[2] (an empty dir), logging to argv[3], printing each progress event
// as a JSON line, so the test can kill this process at a chosen moment.
import { buildGoldenImage, DEFAULT_GOLDEN_SIZE_BYTES } from '../../../src/host/images/golden/build-golden.js';
import { SpawnRunner } from '../../../src/host/runner.js';

const [dest, logFile, packagesFile] = process.argv.slice(2);
if (!dest || !logFile || !packagesFile) throw new Error('usage: build-cli DEST LOG PACKAGES');
await buildGoldenImage({
  runner: new SpawnRunner(),
  packagesFile,
  sizeBytes: DEFAULT_GOLDEN_SIZE_BYTES,
  dest,
  logFile,
  onProgress: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
});
