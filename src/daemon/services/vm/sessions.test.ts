import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import { rejectionOf } from '../../../testing/app-error.js';
import { SessionService } from './sessions.js';
import type { VmService } from './vm-service.js';

const RUNNING = {
  name: 'cat',
  pid: 42,
  state: 'running',
  argv: ['cat'],
  cwd: '/root',
  stdin: 'pipe',
  started_at: '2026-12-05T00:00:00Z',
};

/** A VM service with one VM whose agent answers from `agent` (and records what it was asked). */
function service(agent: (body: Record<string, unknown>) => Record<string, unknown>, running = true) {
  const asked: Record<string, unknown>[] = [];
  const vms = {
    deps: {
      repo: { resolve: () => ({ id: 'id1', name: 'dev' }) },
      agent: {
        request: async (_dir: string, body: Record<string, unknown>) => {
          asked.push(body);
          return agent(body);
        },
      },
    },
    runtime: { get: () => (running ? {} : undefined) },
    activity: { touch: () => {} },
    vmDir: () => '/vms/id1',
  } as unknown as VmService;
  return { sessions: new SessionService(vms), asked };
}

const refusal = (why: string) => {
  throw new AppError('operation_failed', why, { details: { agentError: why } });
};

describe('SessionService', () => {
  it('maps the agent records to views', async () => {
    const { sessions } = service(() => ({
      ok: true,
      sessions: [
        RUNNING,
        { ...RUNNING, name: 'old', state: 'exited', exit_code: 3, ended_at: 'E', stdin: 'detached' },
      ],
    }));
    expect(await sessions.list('dev')).toEqual([
      {
        name: 'cat',
        pid: 42,
        state: 'running',
        argv: ['cat'],
        cwd: '/root',
        stdin: 'pipe',
        startedAt: '2026-12-05T00:00:00Z',
      },
      {
        name: 'old',
        pid: 42,
        state: 'exited',
        argv: ['cat'],
        cwd: '/root',
        stdin: 'detached',
        startedAt: '2026-12-05T00:00:00Z',
        exitCode: 3,
        endedAt: 'E',
      },
    ]);
    expect((await rejectionOf(sessions.show('dev', 'nope'))).code).toBe('not_found');
  });

  it.each([
    ['no session x in this VM', 'not_found'],
    ['session x is already running', 'conflict'],
    ['session x is not running', 'conflict'],
    ['session x does not take input (started with stdin detached)', 'conflict'],
    ['working directory /nope does not exist in the guest', 'invalid_argument'],
    ['command "nope" is not on the guest\'s PATH (/usr/bin)', 'invalid_argument'],
    ['invalid session name "X": use lowercase letters', 'invalid_argument'],
    ["session x's input is closed", 'conflict'],
    ['too many sessions running in this VM (at most 256)', 'conflict'],
    ['env entry "x" is not of the form K=V', 'invalid_argument'],
    ['signal must be one of TERM, KILL', 'invalid_argument'],
    ['something else went wrong', 'operation_failed'],
  ])('keeps the agent line "%s" and gives it code %s', async (line, code) => {
    const { sessions } = service(() => refusal(line));
    const err = await rejectionOf(sessions.stop('dev', 'x'));
    expect([err.code, err.message]).toEqual([code, line]);
  });

  it('says the agent is not answering, and refuses a stopped VM before asking it', async () => {
    const { sessions } = service(() => {
      throw new AppError('timeout', 'guest vsock port 52: no answer within 10000 ms');
    });
    const silent = await rejectionOf(sessions.list('dev'));
    expect(silent.code).toBe('timeout');
    expect(silent.message).toMatch(/^the guest agent of VM dev is not answering \(.*\); sessions need it/);
    const stopped = service(() => ({ ok: true }), false);
    expect((await rejectionOf(stopped.sessions.list('dev'))).message).toMatch(/^VM dev is not running/);
    expect(stopped.asked).toEqual([]);
  });

  it('sends the start request the agent expects, without unset fields', async () => {
    const { sessions, asked } = service((b) =>
      b.op === 'session_list' ? { ok: true, sessions: [RUNNING] } : { ok: true },
    );
    await sessions.start('dev', { name: 'cat', argv: ['cat'], stdin: 'pipe' });
    expect(asked[0]).toEqual({ op: 'session_start', name: 'cat', argv: ['cat'], stdin: 'pipe' });
    await sessions.stop('dev', 'cat');
    await sessions.kill('dev', 'cat', 'TERM');
    expect(asked.slice(2)).toEqual([
      { op: 'session_stop', name: 'cat', grace_ms: 5000 },
      { op: 'session_signal', name: 'cat', signal: 'TERM' },
    ]);
  });

  it('lets one terminal attach at a time; its token keeps the lease and input needs it', async () => {
    const { sessions, asked } = service((b) =>
      b.op === 'session_list'
        ? { ok: true, sessions: [RUNNING] }
        : { ok: true, data: '', offset: 0, next: 0 },
    );
    const { token } = await sessions.attach('dev', 'cat');
    expect((await rejectionOf(sessions.attach('dev', 'cat'))).message).toBe(
      'session cat is attached in another terminal; one attach at a time',
    );
    expect((await rejectionOf(sessions.input('dev', 'cat', { data: 'eA==' }))).code).toBe('conflict');
    await sessions.input('dev', 'cat', { data: 'eA==', token });
    await sessions.logs('dev', 'cat', { stream: 'stdout', offset: 0, token });
    expect(asked.filter((b) => b.op === 'session_write')).toEqual([
      { op: 'session_write', name: 'cat', data: 'eA==' },
    ]);
    sessions.detach('dev', 'cat', 'not-the-token');
    expect((await rejectionOf(sessions.attach('dev', 'cat'))).code).toBe('conflict');
    sessions.detach('dev', 'cat', token);
    expect((await sessions.attach('dev', 'cat')).token).not.toBe(token);
    expect(
      (await rejectionOf(sessions.logs('dev', 'cat', { stream: 'stdout', offset: 0, token }))).message,
    ).toMatch(/no longer attached/);
  });

  it('refuses to attach to a detached or ended session', async () => {
    for (const s of [
      { ...RUNNING, stdin: 'detached' },
      { ...RUNNING, state: 'exited' },
    ]) {
      const { sessions } = service(() => ({ ok: true, sessions: [s] }));
      expect((await rejectionOf(sessions.attach('dev', 'cat'))).code).toBe('conflict');
    }
  });
});
