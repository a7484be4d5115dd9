import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/api/routes.js';
import { daemonStatus, doctorReport, errorBody } from '../../src/api/schemas.js';
import type { DaemonContext } from '../../src/daemon/context.js';
import { buildServer } from '../../src/daemon/server.js';
import { defaultChecks } from '../../src/daemon/services/doctor/checks.js';
import { createImageServices } from '../../src/daemon/services/images/index.js';
import { hostVmAdapters } from '../../src/daemon/vm-adapters.js';
import { startVmLayer } from '../../src/daemon/vm-layer.js';
import { applyDefaults } from '../../src/domain/config.js';
import { silentLogger } from '../../src/host/logger.js';
import { resolvePaths } from '../../src/host/paths.js';
import { openDatabase } from '../../src/store/db.js';
import { FakeRunner } from '../../src/testing/fake-runner.js';

const home = mkdtempSync(join(tmpdir(), 'banger-inject-'));
// A host with an old Firecracker and no bridge, mmdebstrap or systemd-resolved.
const runner = new FakeRunner()
  .on(['/bin/true', '--version'], { stdout: 'Firecracker v1.7.0\n' })
  .on(['/usr/sbin/ip'], { exitCode: 1, stderr: 'Device "banger0" does not exist.\n' })
  .on(['mmdebstrap'], { exitCode: 127, stderr: 'mmdebstrap: not found\n' })
  .on(['/usr/bin/resolvectl'], { exitCode: 1, stderr: 'Failed to get global data: Connection refused\n' });
let shutdowns = 0;
const paths = resolvePaths({ HOME: home, XDG_RUNTIME_DIR: join(home, 'run') });
const db = openDatabase(join(home, 'state.db'));
const base: Omit<DaemonContext, 'vms'> = {
  config: applyDefaults({ firecracker_bin: '/bin/true' }),
  paths,
  runner,
  logger: silentLogger(),
  db,
  images: createImageServices({ paths, runner, logger: silentLogger(), db }),
  startedAt: new Date(Date.now() - 5000),
  doctorChecks: defaultChecks,
  dns: { listening: ['127.0.0.1:42069'], error: undefined },
  requestShutdown: () => {
    shutdowns++;
  },
};
const vmLayer = await startVmLayer(base, hostVmAdapters(base), {});
const ctx: DaemonContext = { ...base, vms: vmLayer.service };
const app = buildServer(ctx);
afterAll(async () => {
  await app.close();
  ctx.db.close();
});

describe('daemon API in-process', () => {
  it('answers status with the contract shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
    const status = daemonStatus.parse(res.json());
    expect(status.uptimeSeconds).toBeGreaterThanOrEqual(5);
    expect(status.dnsListenAddr).toBe('127.0.0.1:42069');
  });

  it('runs doctor checks through the runner and refuses old Firecracker', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/doctor' });
    const report = doctorReport.parse(res.json());
    const fc = report.checks.find((c) => c.id === 'firecracker');
    expect(fc?.status).toBe('fail');
    expect(fc?.detail).toMatch(/1\.7\.0 .* too old/);
    expect(report.ok).toBe(false);
    expect(runner.commandLines).toContain('/bin/true --version');
    // Doctor's errors are check results, so an unscripted command would not fail the test by itself.
    expect(runner.unscripted).toEqual([]);
    expect(report.checks.find((c) => c.id === 'vm-defaults')?.detail).toMatch(
      /^\d+ vCPU \((host|built-in)\), \d+ MiB \((host|built-in)\), 8G disk \(host\)$/,
    );
  });

  it('maps unknown routes to a not_found error body', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(errorBody.parse(res.json()).error.code).toBe('not_found');
  });

  it('maps malformed JSON to invalid_argument', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/daemon/stop',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(400);
    expect(errorBody.parse(res.json()).error.code).toBe('invalid_argument');
  });

  it('serves every route of the shared table the client builds its requests from', () => {
    for (const [name, route] of Object.entries(routes)) {
      expect(
        app.hasRoute({ method: route.method, url: route.path }),
        `${name}: ${route.method} ${route.path}`,
      ).toBe(true);
    }
  });

  it('requests shutdown after answering stop', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/daemon/stop' });
    expect(res.json()).toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 10));
    expect(shutdowns).toBe(1);
  });
});
