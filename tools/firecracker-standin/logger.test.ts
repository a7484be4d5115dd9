import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Logger, Metrics, openTarget } from './logger.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-logger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The open flags of one of this process's fds, from /proc (octal, as the kernel prints them). */
function fdFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s+([0-7]+)$/m.exec(info);
  if (!m?.[1]) throw new Error(`no flags in ${info}`);
  return Number.parseInt(m[1], 8);
}

const O_ACCMODE = 0o3;
const O_RDWR = 0o2;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;

describe('log and metrics targets open like Firecracker’s', () => {
  it('read-write, non-blocking, without O_APPEND; a missing file is an error', () => {
    const path = join(dir, 'flags.log');
    writeFileSync(path, '');
    const fd = openTarget(path);
    const flags = fdFlags(fd);
    expect(flags & O_ACCMODE).toBe(O_RDWR);
    expect(flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(flags & O_APPEND).toBe(0);
    expect(() => openTarget(join(dir, 'missing.log'))).toThrow(/ENOENT/);
  });

  it('metrics are written from offset 0 over what the file held, and a truncated file gets a hole', () => {
    const path = join(dir, 'metrics.json');
    const old = `${'{"old":"a line that an earlier run wrote to this file"}\n'.repeat(10)}`;
    writeFileSync(path, old);
    const metrics = new Metrics();
    metrics.configure(path);
    metrics.flush();
    const text = readFileSync(path, 'utf8');
    const first = text.split('\n')[0] ?? '';
    expect(JSON.parse(first)).toHaveProperty('utc_timestamp_ms');
    // Not truncated: the file is as long as before and ends with the earlier run's bytes.
    expect(text.length).toBe(old.length);
    expect(text.endsWith(old.slice(first.length + 1))).toBe(true);

    // Shrinking the file under the writer (as an in-place log cap would) leaves NULs before the next line.
    truncateSync(path, 0);
    metrics.flush();
    const after = readFileSync(path);
    expect(after.subarray(0, first.length + 1).every((b) => b === 0)).toBe(true);
    expect(after.length).toBeGreaterThan(first.length + 1);
  });

  it('the log starts at offset 0 too', () => {
    const path = join(dir, 'fc.log');
    writeFileSync(path, 'x'.repeat(4000));
    const logger = new Logger('vm1');
    logger.configure({ path });
    logger.info('main', 'Running Firecracker v1.16.1');
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^\S+ \[vm1:main\] Running Firecracker v1\.16\.1\nx+$/);
    expect(text.length).toBe(4000);
  });
});
