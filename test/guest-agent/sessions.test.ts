// banger-agent's sessions, driven over its serial mux on the host. The agent runs
// with --root in a small root of its own (busybox, no /proc), so sessions and their
// state under /run/banger/sessions stay in a temp dir.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, type MuxLink, MuxServer, startAgent } from './harness.js';

type Response = Record<string, unknown>;
interface Session {
  name: string;
  pid: number;
  state: string;
  argv: string[];
  cwd: string;
  stdin: string;
  started_at: string;
  exit_code?: number;
  signal?: string;
  ended_at?: string;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let root: string;
let server: MuxServer;
let agent: Agent;
let link: MuxLink;
let conn = 0;
let links = 0;

async function attach(): Promise<void> {
  agent = startAgent(['--root', root, '--serial', '/serial.sock']);
  link = await server.link(links++);
  conn += 1;
  expect(await link.open(conn)).toBe('O');
}

function call(request: Record<string, unknown>): Promise<Response> {
  return link.request(conn, JSON.stringify(request));
}

async function list(): Promise<Session[]> {
  const r = await call({ op: 'session_list' });
  expect(r.ok).toBe(true);
  return r.sessions as Session[];
}

async function session(name: string): Promise<Session | undefined> {
  return (await list()).find((s) => s.name === name);
}

async function start(name: string, argv: string[], extra: Record<string, unknown> = {}): Promise<number> {
  const r = await call({ op: 'session_start', name, argv, ...extra });
  expect(r).toMatchObject({ ok: true, name });
  return r.pid as number;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function exited(name: string): Promise<Session> {
  return until(`${name} to exit`, async () => {
    const s = await session(name);
    return s?.state === 'exited' ? s : undefined;
  });
}

async function logs(name: string, stream: string, offset?: number, max?: number): Promise<Response> {
  const r = await call({ op: 'session_logs', name, stream, offset, max });
  expect(r.ok, JSON.stringify(r)).toBe(true);
  return { ...r, text: Buffer.from(r.data as string, 'base64').toString('latin1') };
}

async function output(name: string, stream: string, expected: string): Promise<Response> {
  return until(`${name}'s ${stream} to read ${JSON.stringify(expected)}`, async () => {
    const r = await logs(name, stream);
    return r.text === expected ? r : undefined;
  });
}

function sessionFile(name: string, file = ''): string {
  return join(root, 'run/banger/sessions', name, file);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-agent-sessions-'));
  for (const dir of ['bin', 'root', 'proc', 'tmp']) mkdirSync(join(root, dir));
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  chmodSync(join(root, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'sleep', 'printf', 'seq', 'pwd']) {
    symlinkSync('busybox', join(root, 'bin', applet));
  }
  // Executable, but not a program execve can run: the session fails after the fork.
  writeFileSync(join(root, 'bin/garbage'), 'not a program\n', { mode: 0o755 });
  server = await MuxServer.listen(join(root, 'serial.sock'));
  await attach();
});

afterAll(async () => {
  // Sessions outlive the agent by design: end them here.
  for (const s of (await list().catch(() => [])) as Session[]) {
    if (s.state === 'running') {
      try {
        process.kill(-s.pid, 'SIGKILL');
      } catch {}
    }
  }
  await agent?.stop();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('banger-agent sessions', () => {
  it('starts a detached session whose stdout and stderr go to its logs, lists it, and stops it with TERM', async () => {
    const pid = await start('hello', ['sh', '-c', 'echo out; echo err >&2; sleep 30']);
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).not.toThrow();
    const listed = await session('hello');
    expect(listed).toEqual({
      name: 'hello',
      pid,
      state: 'running',
      argv: ['sh', '-c', 'echo out; echo err >&2; sleep 30'],
      cwd: '/root',
      stdin: 'detached',
      started_at: expect.stringMatching(ISO),
    });

    expect(await output('hello', 'stdout', 'out\n')).toMatchObject({ offset: 0, next: 4, running: true });
    expect(await output('hello', 'stderr', 'err\n')).toMatchObject({ offset: 0, next: 4, running: true });
    expect(await logs('hello', 'stdout', 2)).toMatchObject({ text: 't\n', offset: 2, next: 4 });
    expect(await logs('hello', 'stdout', 1, 2)).toMatchObject({ text: 'ut', offset: 1, next: 3 });
    expect(await logs('hello', 'stdout', 100)).toMatchObject({ text: '', offset: 100, next: 100 });

    expect(statSync(sessionFile('hello')).mode & 0o777).toBe(0o700);
    for (const file of ['stdout', 'stderr', 'meta.json']) {
      expect(statSync(sessionFile('hello', file)).mode & 0o777).toBe(0o600);
    }
    const meta = JSON.parse(readFileSync(sessionFile('hello', 'meta.json'), 'utf8'));
    expect(meta).toMatchObject({
      name: 'hello',
      cwd: '/root',
      stdin: 'detached',
      pid,
      started_at: listed!.started_at,
    });

    const stopped = Date.now();
    expect(await call({ op: 'session_stop', name: 'hello', grace_ms: 3000 })).toEqual({ ok: true });
    const end = await exited('hello');
    expect(Date.now() - stopped).toBeLessThan(3000);
    expect(end).toMatchObject({ state: 'exited', signal: 'TERM', ended_at: expect.stringMatching(ISO) });
    expect(end.exit_code).toBeUndefined();
    expect(JSON.parse(readFileSync(sessionFile('hello', 'exit.json'), 'utf8'))).toMatchObject({
      signal: 'TERM',
    });
    expect((await logs('hello', 'stdout')).running).toBe(false);
    expect(await call({ op: 'session_stop', name: 'hello' })).toEqual({
      ok: false,
      error: 'session hello is not running',
    });
  });

  it('sends signals to the session, KILL after the grace when TERM is ignored', async () => {
    await start('stubborn', ['sh', '-c', "trap '' TERM; echo ready; while true; do sleep 1; done"]);
    await output('stubborn', 'stdout', 'ready\n');
    expect(await call({ op: 'session_signal', name: 'stubborn', signal: 'TERM' })).toEqual({ ok: true });
    expect((await session('stubborn'))?.state).toBe('running');
    const stopped = Date.now();
    expect(await call({ op: 'session_stop', name: 'stubborn', grace_ms: 300 })).toEqual({ ok: true });
    expect(await exited('stubborn')).toMatchObject({ signal: 'KILL' });
    expect(Date.now() - stopped).toBeGreaterThanOrEqual(250);

    await start('victim', ['sleep', '30']);
    expect(await call({ op: 'session_signal', name: 'victim', signal: 'STOP' })).toMatchObject({ ok: false });
    expect(await call({ op: 'session_signal', name: 'victim', signal: 'KILL' })).toEqual({ ok: true });
    expect(await exited('victim')).toMatchObject({ signal: 'KILL' });
    expect(await call({ op: 'session_signal', name: 'victim', signal: 'KILL' })).toEqual({
      ok: false,
      error: 'session victim is not running',
    });
    expect(await call({ op: 'session_signal', name: 'ghost', signal: 'KILL' })).toEqual({
      ok: false,
      error: 'no session ghost in this VM',
    });
  });

  it('feeds a pipe-mode session what session_write sends, and EOF on session_close_stdin', async () => {
    await start('echoer', ['cat'], { stdin: 'pipe' });
    const send = (text: string) =>
      call({ op: 'session_write', name: 'echoer', data: Buffer.from(text).toString('base64') });
    expect(await send('hello\n')).toEqual({ ok: true });
    expect(await send('wörld\n')).toEqual({ ok: true });
    await until('cat to echo', async () => {
      const r = await logs('echoer', 'stdout');
      return Buffer.from(r.data as string, 'base64').toString() === 'hello\nwörld\n' ? r : undefined;
    });
    expect(await call({ op: 'session_write', name: 'echoer', data: 'not base64!' })).toEqual({
      ok: false,
      error: 'data must be a base64 string',
    });
    expect(await call({ op: 'session_close_stdin', name: 'echoer' })).toEqual({ ok: true });
    expect(await exited('echoer')).toMatchObject({ exit_code: 0, stdin: 'pipe' });
    expect(await send('late\n')).toEqual({ ok: false, error: 'session echoer is not running' });

    await start('deaf', ['sleep', '30']);
    expect(await call({ op: 'session_write', name: 'deaf', data: 'eA==' })).toEqual({
      ok: false,
      error: 'session deaf does not take input (started with stdin detached)',
    });
    expect(await call({ op: 'session_close_stdin', name: 'deaf' })).toEqual({
      ok: false,
      error: 'session deaf does not take input (started with stdin detached)',
    });
    expect(await call({ op: 'session_signal', name: 'deaf', signal: 'KILL' })).toEqual({ ok: true });
  });

  it('buffers up to 1 MiB of input for a session that does not read it, then says it is full', async () => {
    await start('slow', ['sleep', '30'], { stdin: 'pipe' });
    const chunk = Buffer.alloc(40 << 10, 'x').toString('base64'); // a request fits one 64 KiB frame
    let sent = 0;
    let refused: Response | undefined;
    while (!refused && sent < 4 << 20) {
      const r = await call({ op: 'session_write', name: 'slow', data: chunk });
      if (r.ok) sent += 40 << 10;
      else refused = r;
    }
    expect(refused).toEqual({ ok: false, error: "session slow's input is full" });
    // The pipe holds some, the agent 1 MiB at most.
    expect(sent).toBeGreaterThan(1 << 20);
    expect(sent).toBeLessThan((1 << 20) + (1 << 20));
    expect(await call({ op: 'session_close_stdin', name: 'slow' })).toEqual({ ok: true });
    expect(await call({ op: 'session_close_stdin', name: 'slow' })).toEqual({
      ok: false,
      error: "session slow's input is closed",
    });
    expect(await call({ op: 'session_signal', name: 'slow', signal: 'KILL' })).toEqual({ ok: true });
    await exited('slow');
  });

  it('runs with the base environment plus env, in cwd, and reports an exec failure in the stderr log', async () => {
    // Detached: stdin reads end of file at once (this root has no /dev/null: an empty pipe).
    await start('env', ['sh', '-c', 'echo "$FOO $HOME $TERM $LANG $USER $SHELL"; pwd; cat; echo eof'], {
      cwd: '/tmp',
      env: ['FOO=bar', 'HOME=/tmp'],
    });
    await output('env', 'stdout', 'bar /tmp dumb C.UTF-8 root /bin/sh\n/tmp\neof\n');
    expect(await exited('env')).toMatchObject({ exit_code: 0, cwd: '/tmp' });

    await start('garbage', ['garbage']);
    expect(await exited('garbage')).toMatchObject({ exit_code: 127 });
    expect((await logs('garbage', 'stderr')).text).toMatch(/^banger-agent: cannot run \/bin\/garbage: /);

    // An exited session's name is free again: its old files go.
    await start('garbage', ['sh', '-c', 'echo again']);
    await output('garbage', 'stdout', 'again\n');
    expect((await logs('garbage', 'stderr')).text).toBe('');
  });

  it('refuses a start that cannot work with one line, and starts nothing', async () => {
    await start('taken', ['sleep', '30']);
    const before = await list();
    const refused: [Record<string, unknown>, string][] = [
      [
        { name: 'Bad!', argv: ['sh'] },
        `invalid session name "Bad!": use lowercase letters, digits, '.', '_' or '-'`,
      ],
      [
        { name: '-x', argv: ['sh'] },
        `invalid session name "-x": use lowercase letters, digits, '.', '_' or '-'`,
      ],
      [{ name: 'taken', argv: ['sh'] }, 'session taken is already running'],
      [
        { name: 'new', argv: ['nope'], cwd: '/nowhere' },
        'working directory /nowhere does not exist in the guest',
      ],
      [{ name: 'new', argv: ['nope'] }, `command "nope" is not on the guest's PATH (${PATH})`],
      [{ name: 'new', argv: ['/bin/nope'] }, 'command "/bin/nope" is not an executable file'],
      [{ name: 'new', argv: ['sh'], env: ['PATH=/root'] }, `command "sh" is not on the guest's PATH (/root)`],
      [
        { name: 'new', argv: ['sh'], require: ['cat', 'git'] },
        `required command "git" is not on the guest's PATH (${PATH})`,
      ],
      [{ name: 'new', argv: [] }, 'argv must be a non-empty array of strings'],
      [{ name: 'new', argv: ['sh'], stdin: 'tty' }, 'stdin must be "detached" or "pipe"'],
    ];
    for (const [request, error] of refused) {
      expect(await call({ op: 'session_start', ...request }), JSON.stringify(request)).toEqual({
        ok: false,
        error,
      });
    }
    expect(await list()).toEqual(before);
    expect(await call({ op: 'session_logs', name: 'new' })).toEqual({
      ok: false,
      error: 'no session new in this VM',
    });
    expect(await call({ op: 'session_signal', name: 'taken', signal: 'KILL' })).toEqual({ ok: true });
  });

  it('keeps a log under 8 MiB, counting what it cut so offsets stay absolute', async () => {
    const lines = 1_750_000;
    const expected = Buffer.from(Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join(''));
    expect(expected.length).toBeGreaterThan(12 << 20);
    await start('big', ['sh', '-c', `seq 1 ${lines}; sleep 60`]);
    const first = await until(
      'the log to be capped and whole',
      async () => {
        const r = await logs('big', 'stdout', 0, 1);
        const size = statSync(sessionFile('big', 'stdout')).size;
        return (r.offset as number) > 0 && (r.offset as number) + size === expected.length ? r : undefined;
      },
      30_000,
    );
    const dropped = first.offset as number;
    expect(statSync(sessionFile('big', 'stdout')).size).toBeLessThanOrEqual(8 << 20);
    expect(JSON.parse(readFileSync(sessionFile('big', 'meta.json'), 'utf8')).stdout_dropped).toBe(dropped);
    const chunks: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const r = await logs('big', 'stdout', offset);
      expect(r.offset).toBe(offset === 0 ? dropped : offset);
      const data = Buffer.from(r.data as string, 'base64');
      expect(data.length).toBeLessThanOrEqual(256 << 10);
      if (data.length === 0) break;
      chunks.push(data);
      offset = r.next as number;
    }
    expect(offset).toBe(expected.length);
    expect(Buffer.concat(chunks).equals(expected.subarray(dropped))).toBe(true);
    expect(await call({ op: 'session_signal', name: 'big', signal: 'KILL' })).toEqual({ ok: true });
  });

  it('lists a session gone without a word as exited, signal unknown', async () => {
    mkdirSync(sessionFile('vanished'), { recursive: true });
    writeFileSync(
      sessionFile('vanished', 'meta.json'),
      JSON.stringify({
        name: 'vanished',
        argv: ['x'],
        cwd: '/',
        stdin: 'detached',
        pid: 4_194_000,
        started_at: 'then',
      }),
    );
    expect(await session('vanished')).toEqual({
      name: 'vanished',
      pid: 4_194_000,
      state: 'exited',
      argv: ['x'],
      cwd: '/',
      stdin: 'detached',
      started_at: 'then',
      signal: 'unknown',
    });
  });

  it('still lists a running session and its logs after the agent is killed and started again', async () => {
    const pid = await start('survivor', ['sh', '-c', 'echo alive; sleep 60']);
    await output('survivor', 'stdout', 'alive\n');
    await agent.stop();
    expect(() => process.kill(pid, 0)).not.toThrow();
    await attach();
    expect(await session('survivor')).toMatchObject({ pid, state: 'running' });
    expect(await output('survivor', 'stdout', 'alive\n')).toMatchObject({ running: true });
    expect(await call({ op: 'session_start', name: 'survivor', argv: ['sh'] })).toEqual({
      ok: false,
      error: 'session survivor is already running',
    });
    expect(await call({ op: 'session_signal', name: 'survivor', signal: 'KILL' })).toEqual({ ok: true });
    await until('the survivor to die', async () => {
      try {
        process.kill(pid, 0);
        // A zombie nobody reaped yet still answers kill(0): check its state.
        return /\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) ? true : undefined;
      } catch {
        return true;
      }
    });
  });
});
