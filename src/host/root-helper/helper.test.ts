import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_GRANT } from '../../testing/grant.js';
import { formatGrant } from '../network/grant.js';
import { runHelper } from './helper.js';
import { REFUSED_EXIT } from './protocol.js';

/** Only refusals and the grant query run here: allowed commands would change this host's network. */
function grantsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'banger-grants-'));
  writeFileSync(join(dir, '1000.json'), formatGrant(TEST_GRANT), { mode: 0o644 });
  return dir;
}

const run = (args: string[], extra: Partial<Parameters<typeof runHelper>[0]> = {}) =>
  runHelper({ args, sudoUid: '1000', grantsDir: grantsDir(), euid: 0, ...extra });

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
