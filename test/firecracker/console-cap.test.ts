// console.log stays bounded while a separate process appends to it as fast as
// it can through an O_APPEND fd, exactly as Firecracker's stdout is set up,
// and the newest output survives.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { capConsoleLog } from '../../src/host/firecracker/console-cap.js';
import { openAppend } from '../../src/host/firecracker/files.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-cap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAP = 512 * 1024;
const TOTAL = 48 * CAP; // 24 MiB through a 512 KiB cap

const WRITER = `
const fs = require('node:fs');
const total = Number(process.env.TOTAL);
const pad = 'x'.repeat(80);
let n = 0;
for (let written = 0; written < total; n++) {
  const line = 'line ' + n + ' ' + pad + '\\n';
  fs.writeSync(1, line);
  written += line.length;
}
// A quiet moment before the last line: capping races a write that lands between its read of
// the tail and its truncate (those bytes are lost, see console-cap.ts), so the line that must
// survive is written once the file is back under the cap.
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
fs.writeSync(1, 'final ' + n + '\\n');
`;

it('keeps console.log under its cap while a writer appends far more, and keeps the newest bytes', async () => {
  const path = join(dir, 'console.log');
  const fd = openAppend(path);
  const writer = spawn(process.execPath, ['-e', WRITER], {
    stdio: ['ignore', fd, 'inherit'],
    env: { ...process.env, TOTAL: String(TOTAL) },
  });
  closeSync(fd);
  let running = true;
  const exited = new Promise<number | null>((r) =>
    writer.once('exit', (code) => {
      running = false;
      r(code);
    }),
  );
  let caps = 0;
  let maxSeen = 0;
  let maxBlocks = 0;
  while (running) {
    const st = statSync(path);
    maxSeen = Math.max(maxSeen, st.size);
    maxBlocks = Math.max(maxBlocks, st.blocks * 512);
    const r = capConsoleLog(path, CAP);
    if (r.dropped > 0) {
      caps++;
      expect(r.kept).toBeLessThanOrEqual(CAP / 2 + 100);
    }
    await sleep(2);
  }
  expect(await exited).toBe(0);
  capConsoleLog(path, CAP);

  expect(caps).toBeGreaterThan(10); // the writer really outran the cap many times
  // Bounded by the cap plus what the writer adds between two checks (it writes ~40 MB/s
  // here, far faster than a serial console, and this loop may be descheduled): nowhere near TOTAL.
  expect(maxSeen).toBeLessThan(TOTAL / 3);
  expect(maxBlocks).toBeLessThan(TOTAL / 3 + 1024 * 1024);
  const text = readFileSync(path, 'utf8');
  expect(text.length).toBeLessThanOrEqual(CAP);
  const finalLine = text.trimEnd().split('\n').at(-1) ?? '';
  expect(finalLine).toMatch(/^final \d+$/);
  const lastN = Number(finalLine.split(' ')[1]);
  // After the last marker: whole lines, strictly increasing, ending right before "final".
  const afterMarker = text.slice(text.lastIndexOf('older output dropped'));
  const numbers = afterMarker
    .split('\n')
    .slice(1, -2)
    .map((l) => {
      expect(l).toMatch(/^line \d+ x{80}$/);
      return Number(l.split(' ')[1]);
    });
  expect(numbers.length).toBeGreaterThan(1000);
  expect(numbers.at(-1)).toBe(lastN - 1);
  for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBeGreaterThan(numbers[i - 1] ?? Infinity);
});
