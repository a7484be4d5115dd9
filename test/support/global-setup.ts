import { execFileSync } from 'node:child_process';

/** Integration tests run the real bundles in dist/; build them once per run. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
