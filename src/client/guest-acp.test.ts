import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { VmSshInfo } from '../api/vms.js';
import { guestAcpCommand } from './guest-acp.js';

// The guest side of `vm acp`, run here by the host's sh (a guest runs the same argv behind ssh).
const info = { name: 'dev' } as VmSshInfo;
const home = mkdtempSync(`${tmpdir()}/acp-home-`);
const run = (o: Parameters<typeof guestAcpCommand>[1], input: Buffer | string = '') => {
  const [cmd, ...args] = guestAcpCommand(info, o);
  const r = spawnSync(cmd ?? 'sh', args, { input, env: { PATH: '/usr/bin:/bin', HOME: home } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
};

describe('the guest ACP command', () => {
  it('passes stdin to the agent and its stdout back byte for byte, and its exit status', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"a":"ünï \\"q\\" \\\\ 名前\\n"}\n'),
      Buffer.from([0, 1, 255, 10]),
    ]);
    const r = run({ agent: 'cat' }, bytes);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(bytes)).toBe(true);
    expect(run({ agent: 'cat >/dev/null; exit 7' }, 'x').status).toBe(7);
  });

  it('runs in --cwd, else /root/repo when it exists, else HOME', () => {
    expect(run({ agent: 'pwd', cwd: '/tmp' }).stdout.toString()).toBe('/tmp\n');
    const fallback = existsSync('/root/repo') ? '/root/repo' : home;
    expect(run({ agent: 'pwd' }).stdout.toString()).toBe(`${fallback}\n`);
    const bad = run({ agent: 'pwd', cwd: '/no/such/dir' });
    expect(bad).toMatchObject({
      status: 2,
      stderr: 'banger: --cwd /no/such/dir is not a directory in dev\n',
    });
    expect(bad.stdout.length).toBe(0);
  });

  it('a missing agent: one line naming the command and --agent, exit 127, nothing on stdout', () => {
    const r = run({ agent: '  no-such-acp-agent --stdio' });
    expect(r.status).toBe(127);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(
      /^banger: the ACP agent command `no-such-acp-agent` is not installed in dev \(PATH=.*\); .*--agent 'CMD'\n$/,
    );
    // The default is opencode; a first word with quotes or expansions is left to the shell.
    expect(run({}).stderr).toContain('`opencode`');
    expect(run({ agent: '"no such" x' }).status).toBe(127);
  });
});
