import type { SpawnSyncOptions } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poolTapName } from '../../domain/network.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { formatGrant } from '../network/grant.js';
import { type HelperInput, runHelper, type SpawnTool } from './helper.js';
import { REFUSED_EXIT } from './protocol.js';

/** Only refusals and the grant query run here: allowed commands would change this host's network. */
function grantsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'banger-grants-'));
  writeFileSync(join(dir, '1000.json'), formatGrant(TEST_GRANT), { mode: 0o644 });
  return dir;
}

/** Refusals must start nothing: a spawn here fails the test instead of running a command as root. */
const noSpawn: SpawnTool = (path, args) => {
  throw new Error(`the helper started ${path} ${args.join(' ')}`);
};

const run = (args: string[], extra: Partial<HelperInput> = {}) =>
  runHelper({ args, sudoUid: '1000', grantsDir: grantsDir(), euid: 0, spawn: noSpawn, ...extra });

describe('root helper', () => {
  it("prints the caller's grant", () => {
    expect(run(['--grant'])).toEqual({ exitCode: 0, stdout: formatGrant(TEST_GRANT) });
  });

  it('refuses commands outside the grant with one line and exit 77, running nothing', () => {
    for (const args of [
      ['iptables-save', '-f', '/etc/shadow'],
      ['ip', 'link', 'del', 'dev', 'eth0'],
      ['sh', '-c', 'id'],
      ['/usr/sbin/ip', 'link', 'show'],
      ['--grant', 'x'],
      [],
    ]) {
      const out = run(args);
      expect(out.exitCode, args.join(' ')).toBe(REFUSED_EXIT);
      expect(out.stderr).toMatch(/^banger-root: refused .*: not one of banger's commands for bridge banger0/);
      expect(out.stderr?.trim().split('\n')).toHaveLength(1);
    }
  });

  it('shows hostile text escaped in its refusal', () => {
    const out = run(['iptables', '--comment', 'x\n\u001b[2Jroot ALL=(ALL) ALL']);
    expect(out.stderr?.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).not.toContain('\u001b');
  });

  it('refuses without root, without SUDO_UID, or without a trusted grant of that uid', () => {
    expect(run(['--grant'], { euid: 1000 }).stderr).toContain('must run as root');
    expect(run(['--grant'], { sudoUid: undefined }).stderr).toContain('run me through sudo');
    expect(run(['--grant'], { sudoUid: '1000 ' }).stderr).toContain('run me through sudo');
    expect(run(['--grant'], { sudoUid: '1001' }).stderr).toMatch(
      /no usable grant for uid 1001 \(.*does not exist\)/,
    );
    const dir = grantsDir();
    chownSync(join(dir, '1000.json'), 1000, 1000);
    expect(run(['--grant'], { grantsDir: dir }).stderr).toContain('is owned by uid 1000, not root');
    const open = grantsDir();
    chmodSync(open, 0o777);
    expect(run(['--grant'], { grantsDir: open }).stderr).toContain('is writable by every user');
    const wrong = grantsDir();
    writeFileSync(join(wrong, '1000.json'), formatGrant({ ...TEST_GRANT, uid: 1001 }));
    expect(run(['--grant'], { grantsDir: wrong }).stderr).toContain('is not the grant of uid 1000');
    const sticky = mkdtempSync(join(tmpdir(), 'banger-sticky-'));
    chmodSync(sticky, 0o1777);
    const inner = join(sticky, 'grants');
    mkdirSync(inner);
    writeFileSync(join(inner, '1000.json'), formatGrant(TEST_GRANT));
    expect(run(['--grant'], { grantsDir: inner }).exitCode).toBe(0);
  });
});

describe('root helper edges', () => {
  it('answers the grant query with exactly the stored grant, and refuses with the exact line', () => {
    const dir = grantsDir();
    const out = run(['ip', 'link', 'del', 'dev', 'eth0'], { grantsDir: dir });
    expect(out).toEqual({
      exitCode: REFUSED_EXIT,
      stderr:
        'banger-root: refused "ip" "link" "del" "dev" "eth0": not one of banger\'s commands for bridge banger0, subnet 172.16.0.0/24, uid 1000\n',
    });
    expect(run(['--grant'], { euid: 1000 })).toEqual({
      exitCode: REFUSED_EXIT,
      stderr: 'banger-root: must run as root, through sudo -n\n',
    });
  });

  it('shows at most 300 characters of the refused arguments', () => {
    const exactly = run(['x'.repeat(298)]).stderr ?? '';
    expect(exactly).toContain(`refused "${'x'.repeat(298)}": not one`);
    const longer = run(['x'.repeat(299)]).stderr ?? '';
    expect(longer).toContain(`refused "${'x'.repeat(299)}…: not one`);
  });

  it('takes SUDO_UID only as a plain decimal uid', () => {
    const sudoUids: [string, string][] = [
      ['0', 'no usable grant for uid 0'],
      ['1234567890', 'no usable grant for uid 1234567890'],
      ['12345678901', 'run me through sudo'],
      ['01000', 'run me through sudo'],
      ['', 'run me through sudo'],
      ['-1', 'run me through sudo'],
      ['1e3', 'run me through sudo'],
      ['../1000', 'run me through sudo'],
      ['1000\n', 'run me through sudo'],
    ];
    for (const [sudoUid, expected] of sudoUids)
      expect(run(['--grant'], { sudoUid }).stderr, sudoUid).toContain(expected);
    expect(run(['--grant'], { sudoUid: undefined }).stderr).toBe(
      'banger-root: run me through sudo (SUDO_UID is not set)\n',
    );
  });

  it('names the missing grant and the fix, and passes on why a grant file is unusable', () => {
    const dir = grantsDir();
    expect(run(['--grant'], { grantsDir: dir, sudoUid: '1001' }).stderr).toBe(
      `banger-root: no usable grant for uid 1001 (${dir}/1001.json does not exist); an administrator runs: sudo banger system setup --install-sudoers\n`,
    );
    writeFileSync(join(dir, '1000.json'), '{"uid":');
    expect(run(['--grant'], { grantsDir: dir }).stderr).toBe(
      `banger-root: ${dir}/1000.json is not valid JSON; rerun sudo banger system setup\n`,
    );
    writeFileSync(join(dir, '1000.json'), formatGrant({ ...TEST_GRANT, uid: 1001 }));
    expect(run(['--grant'], { grantsDir: dir }).stderr).toBe(
      `banger-root: ${dir}/1000.json is not the grant of uid 1000\n`,
    );
  });

  it('runs an allowed command with the system tool, nothing of the caller, and returns its exit status', () => {
    const calls: { path: string; args: readonly string[]; options: SpawnSyncOptions }[] = [];
    const result: ReturnType<SpawnTool> = { status: 3, signal: null };
    const spawn: SpawnTool = (path, args, options) => {
      calls.push({ path, args, options });
      return result;
    };
    const args = ['ip', 'link', 'del', 'dev', poolTapName(7, 1000)];
    expect(run(args, { spawn })).toEqual({ exitCode: 3 });
    expect(calls).toEqual([
      {
        path: expect.stringMatching(/^\/(usr\/)?s?bin\/ip$/),
        args: args.slice(1),
        options: {
          cwd: '/',
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
          stdio: ['ignore', 'inherit', 'inherit'],
          timeout: 60_000,
          killSignal: 'SIGKILL',
        },
      },
    ]);

    expect(run(args, { spawn: () => ({ status: null, signal: 'SIGKILL' }) })).toEqual({ exitCode: 137 });
    expect(run(args, { spawn: () => ({ status: null, signal: null }) })).toEqual({ exitCode: 1 });
    expect(run(args, { spawn: () => ({ status: 0, signal: null }) })).toEqual({ exitCode: 0 });
    const failed = run(args, {
      spawn: () => ({ status: null, signal: null, error: new Error('spawn EACCES') }),
    });
    expect(failed.exitCode).toBe(REFUSED_EXIT);
    expect(failed.stderr).toMatch(/^banger-root: cannot run \/\S*ip: spawn EACCES\n$/);
  });
});
