// What every CLI command pays at start-up: the modules the bundle imports
// statically. Heavy or rarely needed ones (zod, undici, TOML, the completion
// library, the TUI's react and ink) must load only in the commands that use
// them; `npm run bench:cli` measures the time this saves.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BANGER, createSandbox } from '../support/sandbox.js';

const LAZY_ONLY = ['zod', 'undici', 'smol-toml', '@bomb.sh/tab', 'ink', 'react'];

/** Every package the CLI entry imports statically, following its static imports of its own chunks. */
function staticPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)import [^;]*?from "([^"]+)";/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return packages;
}

const sandbox = createSandbox();
afterAll(() => sandbox.cleanup());

describe('CLI start-up', () => {
  it('imports only node built-ins statically (commander is bundled in)', () => {
    const packages = [...staticPackages(BANGER)].filter((p) => !p.startsWith('node:'));
    expect(packages).toEqual([]);
    for (const heavy of LAZY_ONLY) expect(packages).not.toContain(heavy);
  });

  it('still offers the completion command in --help, and prints a script with the library loaded', () => {
    expect(sandbox.banger(['--help']).stdout).toMatch(
      /^ {2}completion <shell> +print a shell completion script/m,
    );
    expect(sandbox.banger(['completion', 'bash']).stdout).toMatch(/^# bash completion for banger$/m);
  });

  it('starts the bangerd.js shipped beside it when no BANGER_DAEMON_BIN says otherwise', () => {
    const { BANGER_DAEMON_BIN: _unset, ...env } = sandbox.env;
    const r = spawnSync(process.execPath, [BANGER, 'daemon', 'status', '--json'], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).pid).toBeGreaterThan(0);
  });

  it('ends quietly when the reader of its output has gone (| true exits before node starts)', () => {
    const r = spawnSync(
      'bash',
      ['-c', `${process.execPath} ${BANGER} --help | true; exit \${PIPESTATUS[0]}`],
      {
        env: sandbox.env,
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
