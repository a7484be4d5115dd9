import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const BANGER = join(REPO, 'dist', 'banger.js');
export const BANGERD = join(REPO, 'dist', 'bangerd.js');
/** The root helper's program, which `system setup` copies to a root-owned directory. */
export const HELPER_PROGRAM = join(REPO, 'dist', 'banger-root.mjs');

/** A private HOME and runtime dir so a test's daemon never meets the user's. */
export interface Sandbox {
  root: string;
  env: Record<string, string>;
  /** Runs the built CLI synchronously. */
  banger(
    args: readonly string[],
    extraEnv?: Record<string, string>,
  ): { status: number; stdout: string; stderr: string };
  cleanup(): void;
}

export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'banger-test-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(root, 'home'),
    XDG_RUNTIME_DIR: join(root, 'run'),
    BANGER_DAEMON_BIN: BANGERD,
  };
  // Each sandbox daemon gets its own DNS port, so parallel daemons never collide.
  mkdirSync(join(env.HOME!, '.config', 'banger'), { recursive: true });
  writeFileSync(join(env.HOME!, '.config', 'banger', 'config.toml'), 'dns_listen_addr = "127.0.0.1:0"\n');
  const banger: Sandbox['banger'] = (args, extraEnv = {}) => {
    const r = spawnSync(process.execPath, [BANGER, ...args], {
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  return {
    root,
    env,
    banger,
    cleanup() {
      banger(['daemon', 'stop']);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
