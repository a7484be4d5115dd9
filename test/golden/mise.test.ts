// mise in the golden image, on a real guest through the stand-in: on PATH
// for plain `vm ssh -- cmd`, activated in bash login and interactive shells
// (not in non-interactive ones, which print nothing extra), and `vm run` of
// a repository with a `.tool-versions` starts the tooling bootstrap, whose
// log appears in the guest. The guest cannot download tools (no route to
// GitHub here), so the install itself is expected to fail; it only has to start.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISE_VERSION } from '../../src/host/images/golden/mise.js';
import { toolingLogPath } from '../../src/host/workspace/tooling.js';
import { createVmHarness, mustRun, registerGoldenImage, type VmHarness } from '../support/vm-harness.js';

let h: VmHarness;
let repo: string;

beforeAll(async () => {
  h = await createVmHarness({
    label: 'mise',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
  repo = join(h.root, 'tools-repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, '.tool-versions'), 'jq 1.7.1\n');
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'commit',
    '-qm',
    'init',
  ]);
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const guest = async (vm: string, ...command: string[]) =>
  (await ok(['vm', 'ssh', vm, '--', ...command])).stdout;

describe('mise in the golden image', () => {
  it('is on PATH for plain commands and activated in bash login and interactive shells only', {
    timeout: 900_000,
  }, async () => {
    await ok(['vm', 'create', '--name', 'mi', '--image', 'golden'], 300_000);
    const version = new RegExp(`^${MISE_VERSION.replaceAll('.', '\\.')} linux-x64`);
    expect(await guest('mi', 'mise', '--version')).toMatch(version);
    expect(await guest('mi', 'bash', '-lc', 'mise --version')).toMatch(version);
    expect(await guest('mi', 'stat', '-c', '%a %U:%G', '/usr/local/bin/mise')).toBe('755 root:root\n');

    // `mise activate bash` defines the _mise_hook function where it ran.
    const hook = 'declare -F _mise_hook || echo none';
    expect(await guest('mi', 'bash', '-lc', hook)).toBe('_mise_hook\n');
    expect(await guest('mi', 'bash', '-ic', hook)).toBe('_mise_hook\n');
    expect(await guest('mi', 'bash', '-c', hook)).toBe('none\n');
    // Non-interactive commands print nothing of their own (sshd runs them through root's bash).
    const plain = await ok(['vm', 'ssh', 'mi', '--', 'echo', 'hi']);
    expect(plain.stdout).toBe('hi\n');
    expect(plain.stderr).not.toMatch(/mise/);
    await ok(['vm', 'delete', 'mi'], 300_000);
  });

  it('vm run of a repository with .tool-versions starts the bootstrap, which logs in the guest', {
    timeout: 900_000,
  }, async () => {
    const run = await h.banger(['vm', 'run', repo, '--name', 'mr', '--image', 'golden', '--', 'true'], {
      timeoutMs: 600_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const log = toolingLogPath('tools-repo');
    // The bootstrap runs detached; give it a moment to write its log.
    const deadline = Date.now() + 60_000;
    let content = '';
    while (Date.now() < deadline) {
      const r = await h.banger(['vm', 'ssh', 'mr', '--', 'cat', log]);
      if (r.status === 0 && r.stdout.trim() !== '') {
        content = r.stdout;
        break;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
    console.log(`tooling log ${log}:\n${content}`);
    // mise's own header: it read the repository's .tool-versions (one tool) and started installing.
    expect(content).toMatch(/^mise .*installing 1 tool/m);
    await ok(['vm', 'delete', 'mr'], 300_000);
  });
});
