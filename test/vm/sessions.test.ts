// Sessions on a real golden guest through the stand-in: processes kept by
// banger's guest agent, which outlive the daemon (kill -9 and restart).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../src/api/sessions.js';
import { BANGER } from '../support/sandbox.js';
import {
  createVmHarness,
  json,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

let h: VmHarness;

beforeAll(async () => {
  h = await createVmHarness({
    label: 'sessions',
    config: ['[vm_defaults]', 'memory_mib = 1024', 'vcpu = 1'],
  });
  await registerGoldenImage(h, 'golden');
  await mustRun(h, ['vm', 'create', '--name', 'se', '--image', 'golden'], 300_000);
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

const ok = (args: string[]) => mustRun(h, args);
const sessions = async () => json<SessionView[]>(await ok(['vm', 'session', 'list', 'se', '--json']));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('vm session', () => {
  it('runs a detached session, keeps it across a daemon kill -9, separates its streams and records its stop', {
    timeout: 300_000,
  }, async () => {
    const started = await ok([
      'vm',
      'session',
      'start',
      'se',
      '--name',
      'out',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; sleep 300',
    ]);
    expect(started.stdout).toMatch(/^started session out \(pid \d+\)$/m);
    expect(await sessions()).toEqual([
      expect.objectContaining({
        name: 'out',
        state: 'running',
        argv: ['sh', '-c', 'echo out; echo err >&2; sleep 300'],
      }),
    ]);
    await until(
      'the output',
      async () => (await ok(['vm', 'session', 'logs', 'se', 'out'])).stdout === 'out\n',
    );
    expect((await ok(['vm', 'session', 'logs', 'se', 'out', '--stream', 'stderr'])).stdout).toBe('err\n');
    expect((await ok(['vm', 'session', 'show', 'se', 'out'])).stdout).toMatch(/^state: +running$/m);
    // Shell completion offers the VM's sessions after the VM (and the VMs before it).
    const words = async (args: string[]) =>
      (await ok(['complete', '--', ...args])).stdout
        .split('\n')
        .map((l) => l.split('\t')[0])
        .filter((w) => w && !w.startsWith(':'));
    expect(await words(['vm', 'session', 'logs', 'se', ''])).toEqual(['out']);
    expect(await words(['vm', 'session', 'logs', ''])).toEqual(['se']);

    // A pipe-mode session too, for the attach after the daemon's restart (next test).
    await ok(['vm', 'session', 'start', 'se', '--name', 'cat', '--stdin-mode', 'pipe', '--', 'cat']);

    // The daemon dies; the sessions do not, and the next daemon reaches them again.
    const pid = Number(readFileSync(join(h.env.XDG_RUNTIME_DIR ?? '', 'banger', 'bangerd.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    expect((await sessions()).map((s) => [s.name, s.state])).toEqual([
      ['cat', 'running'],
      ['out', 'running'],
    ]);
    expect((await ok(['vm', 'session', 'logs', 'se', 'out'])).stdout).toBe('out\n');

    const stopped = await ok(['vm', 'session', 'stop', 'se', 'out', '--grace', '2']);
    expect(stopped.stdout).toBe('stopped session out: exited (signal TERM)\n');
    expect(json<SessionView>(await ok(['vm', 'session', 'show', 'se', 'out', '--json']))).toMatchObject({
      state: 'exited',
      signal: 'TERM',
    });
  });

  it('attaches (after the restart) to the pipe-mode cat: what attach sends comes back; end of input detaches, the session goes on', {
    timeout: 120_000,
  }, async () => {
    const child = spawn(
      'ip',
      ['netns', 'exec', h.netns.name, process.execPath, BANGER, 'vm', 'session', 'attach', 'se', 'cat'],
      {
        env: h.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.stdin.write('hello, cat\n');
    await until('the echo', async () => out.includes('hello, cat\n'));
    // One terminal at a time.
    const second = await h.banger(['vm', 'session', 'attach', 'se', 'cat']);
    expect(second.status).toBe(5);
    expect(second.stderr.trim().split('\n')).toEqual([expect.stringMatching(/attached in another terminal/)]);
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(err).toContain('detached from session cat; it keeps running');
    expect((await sessions()).find((s) => s.name === 'cat')?.state).toBe('running');
    await ok(['vm', 'session', 'kill', 'se', 'cat']);
    await until(
      'cat to end',
      async () => (await sessions()).find((s) => s.name === 'cat')?.state === 'exited',
    );
    // A detached session takes no input.
    const refused = await h.banger(['vm', 'session', 'attach', 'se', 'out']);
    expect(refused.status).toBe(5);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [
      'a missing working directory',
      ['--cwd', '/nope'],
      ['true'],
      /working directory \/nope does not exist in the guest/,
    ],
    ['a missing command', [], ['no-such-command'], /command "no-such-command" is not on the guest's PATH/],
    [
      'a missing required command',
      ['--require-command', 'no-such-tool'],
      ['true'],
      /required command "no-such-tool" is not on the guest's PATH/,
    ],
    ['a bad name', [], ['true'], /invalid session name/],
  ])('refuses %s with one line and starts nothing', async (what, flags, cmd, line) => {
    const before = await sessions();
    const name = what === 'a bad name' ? 'Bad Name' : 'pre';
    const r = await h.banger(['vm', 'session', 'start', 'se', '--name', name, ...flags, '--', ...cmd]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
    expect(await sessions()).toEqual(before);
  });
});
