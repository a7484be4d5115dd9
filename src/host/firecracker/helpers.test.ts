import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshFile, lastLines, readTail } from './files.js';
import { lastMetricsLine } from './metrics.js';
import { hasApiSock } from './process-driver.js';
import { vmmArgv } from './spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-fc-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('driver helpers', () => {
  it('hasApiSock wants the exact socket right after --api-sock', () => {
    expect(hasApiSock(['fc', '--api-sock', '/v/a.sock', '--id', 'x'], '/v/a.sock')).toBe(true);
    expect(hasApiSock(['fc', '--api-sock=/v/a.sock'], '/v/a.sock')).toBe(true);
    expect(hasApiSock(['fc', '--api-sock', '/v/a.sock.old'], '/v/a.sock')).toBe(false);
    expect(hasApiSock(['fc', '/v/a.sock', '--api-sock'], '/v/a.sock')).toBe(false);
    expect(hasApiSock([], '/v/a.sock')).toBe(false);
  });

  it('vmmArgv runs a .js bin with this Node and anything else directly', () => {
    expect(vmmArgv('/d/standin.js', ['--id', 'x'])).toEqual([process.execPath, '/d/standin.js', '--id', 'x']);
    expect(vmmArgv('/usr/bin/firecracker', ['--id', 'x'])).toEqual(['/usr/bin/firecracker', '--id', 'x']);
  });

  it('lastMetricsLine skips a torn last line and foreign text', () => {
    expect(lastMetricsLine('{"a":1}\n{"a":2}\n{"a":')).toEqual({ a: 2 });
    expect(lastMetricsLine('{"a":1}\n\n')).toEqual({ a: 1 });
    expect(lastMetricsLine('junk\n[1]\n')).toBeUndefined();
    expect(lastMetricsLine('')).toBeUndefined();
  });

  it('readTail reads the end, never before the given offset, and "" for a missing file', () => {
    const f = join(dir, 'log');
    writeFileSync(f, 'old run\nnew run\n');
    expect(readTail(f, 8)).toBe('new run\n');
    expect(readTail(f, 1000, 8)).toBe('new run\n');
    expect(readTail(f, 1000, 999)).toBe('');
    expect(readTail(join(dir, 'nope'), 10)).toBe('');
  });

  it('freshFile leaves an empty 0600 file, keeping the old one under keepAs or dropping it', () => {
    const log = join(dir, 'firecracker.log');
    const kept = join(dir, 'firecracker.log.1');
    writeFileSync(log, 'previous run\n');
    freshFile(log, kept);
    expect(readFileSync(log, 'utf8')).toBe('');
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(readFileSync(kept, 'utf8')).toBe('previous run\n');
    const metrics = join(dir, 'metrics.json');
    freshFile(metrics); // missing is fine
    writeFileSync(metrics, '{"old":1}\n');
    freshFile(metrics);
    expect(readFileSync(metrics, 'utf8')).toBe('');
    // A symlink planted in its place is replaced, never followed.
    const target = join(dir, 'target');
    writeFileSync(target, 'keep me');
    rmSync(metrics);
    symlinkSync(target, metrics);
    freshFile(metrics);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(statSync(metrics).isFile()).toBe(true);
    expect(existsSync(target)).toBe(true);
  });

  it('lastLines keeps the last non-empty lines on one bounded line', () => {
    expect(lastLines('a\n\nb\r\nc\n', 2)).toBe('b | c');
    expect(lastLines('x'.repeat(50), 1, 10)).toBe(`…${'x'.repeat(10)}`);
  });
});
