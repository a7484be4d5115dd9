import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BANGER, createSandbox } from '../support/sandbox.js';

const sandbox = createSandbox();
afterAll(() => sandbox.cleanup());

describe('banger tui outside a terminal', () => {
  it('exits 2 with one line when stdout is a pipe, without starting a daemon', () => {
    const r = spawnSync('bash', ['-c', `${process.execPath} ${BANGER} tui | cat; exit \${PIPESTATUS[0]}`], {
      env: sandbox.env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'banger: banger tui needs a terminal on stdin and stdout; in scripts use `banger vm list --json` or `banger events --json`\n',
    );
  });

  it('is listed by --help and offered by shell completion', () => {
    expect(sandbox.banger(['--help']).stdout).toMatch(/^ {2}tui +a live terminal dashboard/m);
    expect(sandbox.banger(['tui', '--help']).stdout).toMatch(/^Keys: .*s start, x stop/m);
    const completion = sandbox.banger(['complete', '--', 't']);
    expect(completion.stdout.split('\n')).toContain(
      'tui\ta live terminal dashboard of your VMs, images and kernels, with one-key actions (q quits)',
    );
  });

  it('other commands never load react or ink: they live only in the lazily imported chunk', () => {
    // Follow the CLI bundle's static imports (the entry and the chunks it always loads).
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from "(ink|react)(\/[^"]*)?";/);
      for (const m of text.matchAll(/(?:^|\n)import [^;]*?from "(\.[^"]+)";/g))
        visit(join(dirname(file), m[1]!));
    };
    visit(BANGER);
    expect(seen.size).toBeGreaterThan(1); // the shared chunk is reached
    // The tui command's own chunk (itself loaded on use) imports the TUI chunk, which imports ink.
    const chunks = join(dirname(BANGER), 'chunks');
    const tuiCommand = readdirSync(chunks).find((name) => /^tui-[^.]+\.js$/.test(name));
    expect(tuiCommand).toBeDefined();
    const lazy = readFileSync(join(chunks, tuiCommand!), 'utf8').match(/import\("(\.\/main-[^"]+)"\)/)?.[1];
    expect(lazy).toBeDefined();
    expect(readFileSync(join(chunks, lazy!), 'utf8')).toMatch(/from "ink"/);
  });
});
