import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { REPO } from '../support/sandbox.js';

const run = promisify(execFile);

describe('guest address allocation across processes', () => {
  it('gives 20 concurrent creates 20 distinct addresses', async () => {
    // Bundled inside the repo so the worker resolves node_modules like the daemon does.
    const worker = join(REPO, 'dist', 'test', 'allocate-worker.js');
    await build({
      entryPoints: [join(REPO, 'test/store/allocate-worker.ts')],
      outfile: worker,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    const db = join(mkdtempSync(join(tmpdir(), 'banger-alloc-')), 'state.db');
    openDatabase(db).close(); // migrate once up front, as the daemon does at start
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => run(process.execPath, [worker, db, `vm-${i}`])),
    );
    const ips = results.map((r) => r.stdout.trim());
    expect(new Set(ips).size).toBe(20);
    for (const ip of ips) expect(ip).toMatch(/^172\.16\.0\.(\d+)$/);
    const check = openDatabase(db);
    expect((check.prepare('SELECT COUNT(*) AS n FROM vms').get() as { n: number }).n).toBe(20);
    check.close();
  });
});
