import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLES_FILE, readHandlesFile, removeHandlesFile, writeHandlesFile } from './handles-file.js';

const handles = {
  pid: 42,
  startTime: 1234,
  apiSock: '/x/fc.sock',
  tap: 'bgr-1',
  startedAt: '2026-01-01T00:00:00Z',
};

describe('handles.json', () => {
  it('round-trips, mode 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handles-'));
    writeHandlesFile(dir, handles);
    expect(readHandlesFile(dir)).toEqual(handles);
    expect(statSync(join(dir, HANDLES_FILE)).mode & 0o777).toBe(0o600);
    removeHandlesFile(dir);
    removeHandlesFile(dir);
    expect(readHandlesFile(dir)).toBeUndefined();
  });

  it('keeps the launching mark; files written before it existed read as launched', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handles-'));
    writeHandlesFile(dir, { ...handles, launching: true });
    expect(readHandlesFile(dir)?.launching).toBe(true);
    writeFileSync(join(dir, HANDLES_FILE), JSON.stringify(handles));
    expect(readHandlesFile(dir)?.launching).toBeUndefined();
  });

  it('treats corrupt or foreign content as absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'handles-'));
    writeFileSync(join(dir, HANDLES_FILE), '{"pid": "x"');
    expect(readHandlesFile(dir)).toBeUndefined();
    writeFileSync(join(dir, HANDLES_FILE), '{"pid": -1}');
    expect(readHandlesFile(dir)).toBeUndefined();
  });
});
