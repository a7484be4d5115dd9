import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperProgramStatus } from './privilege-status.js';

describe('helperProgramStatus', () => {
  it('tells an installed helper program from another banger version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'banger-helper-status-'));
    const bundled = join(dir, 'bundled.mjs');
    writeFileSync(bundled, 'v2');
    writeFileSync(join(dir, 'banger-root.mjs'), 'v2');
    expect(helperProgramStatus(join(dir, 'banger-root'), bundled)).toBe('current');
    writeFileSync(join(dir, 'banger-root.mjs'), 'v1');
    expect(helperProgramStatus(join(dir, 'banger-root'), bundled)).toBe('outdated');
    expect(helperProgramStatus(join(dir, 'banger-root'), join(dir, 'missing.mjs'))).toBe('unknown');
    expect(helperProgramStatus('/nonexistent/banger-root', bundled)).toBe('unknown');
  });
});
