// A VMM launched by a "daemon" outlives it: the daemon is kill -9'd, the VMM
// keeps answering, and another process (the restarted daemon) adopts it,
// waits for its exit and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import type { FirecrackerHandle } from '../../src/host/firecracker/driver.js';
import { createFirecrackerDriver } from '../../src/host/firecracker/process-driver.js';
import { readProcStat } from '../../src/host/proc.js';
import { processAlive } from '../support/qemu-standin.js';
import { createHarness, processesWith } from './harness.js';

const h = createHarness();
afterAll(() => h.cleanup());

it('a launched VMM survives its parent being SIGKILLed and is adopted by a fresh driver', async () => {
  const bundle = join(mkdtempSync(join(h.root, 'bundle-')), 'launch-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/launch-child.ts', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const spec = h.spec(1);
  const daemon = spawn(process.execPath, [bundle, JSON.stringify(spec)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: daemon.stdout }).once('line', resolve);
    daemon.once('exit', (code) => reject(new Error(`launcher exited with ${code}`)));
  });
  const handle = JSON.parse(line) as FirecrackerHandle;
  expect(readProcStat(handle.pid)?.ppid).toBe(daemon.pid);

  const dead = new Promise((r) => daemon.once('exit', (_c, signal) => r(signal)));
  daemon.kill('SIGKILL');
  expect(await dead).toBe('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));

  const adopter = createFirecrackerDriver({ pollMs: 50 });
  expect(processAlive(handle.pid)).toBe(true);
  expect(readProcStat(handle.pid)?.ppid).not.toBe(daemon.pid);
  expect(await adopter.identify(handle)).toBe(true);
  expect((await adopter.stats(handle)).rssBytes).toBeGreaterThan(0);

  let exitSeen = false;
  const waiting = adopter.waitExit(handle).then(() => {
    exitSeen = true;
  });
  await new Promise((r) => setTimeout(r, 200));
  expect(exitSeen).toBe(false);
  expect(await adopter.stop(handle, { timeoutMs: 10_000 })).toBe('graceful');
  await waiting;
  expect(processesWith(spec.vmDir)).toEqual([]);
});
