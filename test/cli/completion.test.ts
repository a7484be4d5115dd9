import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BANGER } from '../support/sandbox.js';

// A `banger` on PATH, as the generated scripts call the program by name.
const bin = mkdtempSync(join(tmpdir(), 'banger-bin-'));
writeFileSync(join(bin, 'banger'), `#!/bin/sh\nexec "${process.execPath}" "${BANGER}" "$@"\n`);
chmodSync(join(bin, 'banger'), 0o755);
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 30_000 });

describe('shell completion', () => {
  it.each(['bash', 'zsh', 'fish', 'powershell'])('prints a %s script', (shell) => {
    const r = run('banger', ['completion', shell]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('banger');
  });

  it('suggests subcommands through the completion protocol', () => {
    const r = run('banger', ['complete', '--', 'daemon', '']);
    const words = r.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(words).toEqual(expect.arrayContaining(['status', 'socket', 'stop']));
  });

  it('completes subcommands and flags in a real fish shell', () => {
    const r = run('fish', ['-c', 'banger completion fish | source; complete -C "banger daemon st"']);
    const words = r.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(words).toEqual(expect.arrayContaining(['status', 'stop']));
    const flags = run('fish', ['-c', 'banger completion fish | source; complete -C "banger doctor --"']);
    expect(flags.stdout).toContain('--json');
  });

  it('completes in a real bash with bash-completion', () => {
    const script = [
      'source /usr/share/bash-completion/bash_completion',
      'source <(banger completion bash)',
      'COMP_WORDS=(banger daemon st); COMP_CWORD=2; COMP_LINE="banger daemon st"; COMP_POINT=${#COMP_LINE}',
      '__banger_complete banger st daemon',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = run('bash', ['-c', script]);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['status', 'stop']));
  });
});
