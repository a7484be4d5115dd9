import { chownSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensurePrivateDir, resolvePaths } from './paths.js';

const temp = () => mkdtempSync(join(tmpdir(), 'banger-paths-'));

describe('resolvePaths', () => {
  it('follows XDG variables and ignores relative ones', () => {
    const p = resolvePaths({
      HOME: '/h',
      XDG_CONFIG_HOME: '/c',
      XDG_STATE_HOME: 'relative',
      XDG_RUNTIME_DIR: '/run/user/7',
    });
    expect(p.configFile).toBe('/c/banger/config.toml');
    expect(p.stateDir).toBe('/h/.local/state/banger');
    expect(p.cacheDir).toBe('/h/.cache/banger');
    expect(p.socket).toBe('/run/user/7/banger/bangerd.sock');
  });

  it('falls back to a per-uid directory without XDG_RUNTIME_DIR', () => {
    expect(resolvePaths({ HOME: '/h' }).runtimeDir).toBe(`/tmp/banger-${process.getuid?.()}`);
  });
});

describe('ensurePrivateDir', () => {
  it('creates 0700 directories and tightens loose modes', () => {
    const dir = join(temp(), 'a', 'b');
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const loose = join(temp(), 'loose');
    mkdirSync(loose, { mode: 0o755 });
    ensurePrivateDir(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlink', () => {
    const base = temp();
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    expect(() => ensurePrivateDir(join(base, 'link'))).toThrow(/not a plain directory/);
  });

  it('refuses a directory owned by someone else (needs root to chown, as in CI)', () => {
    const dir = join(temp(), 'foreign');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 4242, 4242);
    expect(() => ensurePrivateDir(dir)).toThrow(/owned by uid 4242/);
  });
});
