// Many VMMs at once and many launch/stop cycles: no shared state between
// launches, and nothing (fds, processes) left behind in the launching process.
import { readdirSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { createFirecrackerDriver } from '../../src/host/firecracker/process-driver.js';
import { createHarness, NO_GUEST, processesWith } from './harness.js';

const h = createHarness();
afterAll(() => h.cleanup());
const driver = createFirecrackerDriver({ env: NO_GUEST });
const openFds = () => readdirSync('/proc/self/fd').length;

it('launches 8 VMMs concurrently, each its own, and stops them all', async () => {
  const specs = Array.from({ length: 8 }, (_, i) => h.spec(100 + i));
  const handles = await Promise.all(specs.map((s) => driver.launch(s)));
  expect(new Set(handles.map((x) => x.pid)).size).toBe(8);
  expect(await Promise.all(handles.map((x) => driver.identify(x)))).toEqual(Array(8).fill(true));
  expect(await Promise.all(handles.map((x) => driver.stop(x, { timeoutMs: 10_000 })))).toEqual(
    Array(8).fill('graceful'),
  );
  expect(processesWith(h.root)).toEqual([]);
});

it('returns to its baseline of open fds after launch/stop cycles', async () => {
  const spec = h.spec(200);
  // One warm-up cycle: Node opens some fds lazily (e.g. for child process handling) and keeps them.
  await driver.stop(await driver.launch(spec));
  const baseline = openFds();
  for (let i = 0; i < 10; i++) {
    const handle = await driver.launch(spec);
    await driver.stats(handle);
    expect(await driver.stop(handle)).toBe('graceful');
  }
  expect(openFds()).toBe(baseline);
  expect(processesWith(spec.vmDir)).toEqual([]);
});
