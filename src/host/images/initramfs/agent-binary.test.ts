import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agentBinaryPath } from './agent-binary.js';

/** A directory tree with the given files (empty). */
function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'banger-agent-path-'));
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  return root;
}

const url = (root: string, file: string) => pathToFileURL(join(root, file)).href;

describe('agentBinaryPath', () => {
  it('finds dist/guest/banger-agent from the daemon bundle, a chunk, and the sources', () => {
    const root = tree(['dist/guest/banger-agent']);
    const agent = join(root, 'dist/guest/banger-agent');
    expect(agentBinaryPath(url(root, 'dist/bangerd.js'))).toBe(agent);
    expect(agentBinaryPath(url(root, 'dist/chunks/x-1234.js'))).toBe(agent);
    expect(agentBinaryPath(url(root, 'src/host/images/initramfs/agent-binary.ts'))).toBe(agent);
  });

  it('says how to get it when it is missing', () => {
    const root = tree(['dist/bangerd.js']);
    expect(() => agentBinaryPath(url(root, 'dist/bangerd.js'))).toThrow(
      'the guest agent dist/guest/banger-agent is missing next to banger; rebuild banger with `npm run build` (it needs a C compiler: apt-get install build-essential)',
    );
  });

  it('finds the one this checkout built', () => {
    expect(agentBinaryPath()).toMatch(/\/dist\/guest\/banger-agent$/);
  });
});
