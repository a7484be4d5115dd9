import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleCap, capConsoleLog, watchVmLogs } from './console-cap.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-cap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join('');

describe('capConsoleLog', () => {
  it('leaves a file under the cap alone, and a missing file too', () => {
    const f = join(dir, 'small.log');
    writeFileSync(f, 'hello\n');
    expect(capConsoleLog(f, 100)).toEqual({ dropped: 0, kept: 6 });
    expect(readFileSync(f, 'utf8')).toBe('hello\n');
    expect(capConsoleLog(join(dir, 'missing.log'), 100)).toEqual({ dropped: 0, kept: 0 });
  });

  it('keeps the newest half from a line start, behind a marker', () => {
    const f = join(dir, 'big.log');
    const text = lines(0, 1000); // ~9 KB
    writeFileSync(f, text);
    const r = capConsoleLog(f, 4000);
    const after = readFileSync(f, 'utf8');
    expect(r.kept).toBe(statSync(f).size);
    expect(r.kept).toBeLessThanOrEqual(4000);
    const [marker, ...rest] = after.split('\n');
    expect(marker).toBe(`[banger: ${r.dropped} bytes of older output dropped to stay under 4000 bytes]`);
    expect(rest.join('\n')).toBe(text.slice(r.dropped));
    expect(rest[0]).toMatch(/^line \d+$/);
    expect(after.endsWith('line 999\n')).toBe(true);
    expect(text.length - r.dropped).toBeLessThanOrEqual(2000);
  });

  it('cuts mid-line when there is no line break to align to', () => {
    const f = join(dir, 'binary.log');
    writeFileSync(f, Buffer.alloc(100_000, 0x41));
    const r = capConsoleLog(f, 10_000);
    expect(r.dropped).toBe(95_000);
    expect(statSync(f).size).toBeLessThan(5_100);
  });
});

describe('ConsoleCap', () => {
  it('caps every file it was given, and no longer a removed one', () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, lines(0, 500));
    writeFileSync(b, lines(0, 500));
    const errors: string[] = [];
    const cap = new ConsoleCap(1000, (path) => errors.push(path));
    cap.add(a, 1000);
    cap.add(b, 1000);
    cap.remove(b);
    cap.add(join(dir, 'nope', 'x.log'), 10);
    expect(cap.check()).toBeGreaterThan(0);
    expect(statSync(a).size).toBeLessThanOrEqual(1000);
    expect(statSync(b).size).toBeGreaterThan(1000);
    expect(errors).toEqual([]);
  });
});

describe('watchVmLogs', () => {
  it('caps the console of a VM dir until unwatched, and never the files Firecracker writes without O_APPEND', () => {
    const vm = mkdtempSync(join(dir, 'vm-'));
    const cap = new ConsoleCap();
    const unwatch = watchVmLogs(cap, vm, 1000);
    writeFileSync(join(vm, 'console.log'), lines(0, 500));
    // Firecracker holds these at its own offset: shrinking them would leave NUL bytes at its next write.
    const big = Buffer.alloc(5 * 1024 * 1024, 0x0a);
    writeFileSync(join(vm, 'metrics.json'), big);
    writeFileSync(join(vm, 'firecracker.log'), big);
    cap.check();
    expect(statSync(join(vm, 'console.log')).size).toBeLessThanOrEqual(1000);
    expect(statSync(join(vm, 'metrics.json')).size).toBe(big.length);
    expect(statSync(join(vm, 'firecracker.log')).size).toBe(big.length);
    unwatch();
    writeFileSync(join(vm, 'console.log'), lines(0, 500));
    expect(cap.check()).toBe(0);
  });
});
