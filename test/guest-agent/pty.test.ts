// banger-agent's terminals (pty_open, pty_resize), driven over its serial mux on the
// host. The agent runs without --root: a terminal needs /dev/ptmx and /dev/pts, and
// the shells are the host's (argv is given, so the host's root shell does not matter,
// except in the one test of the default login shell).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFrames } from './frames.js';
import { type AgentOnMux, agentOnMux, type MuxLink } from './harness.js';

type Response = Record<string, unknown>;
interface Terminal {
  id: number;
  pty: string;
  pid: number;
}

let mux: AgentOnMux;
let dir: string;
let link: MuxLink;
let nextId = 1;

async function connect(): Promise<number> {
  const id = nextId++;
  expect(await link.open(id)).toBe('O');
  return id;
}

/** Opens a terminal on a fresh connection; the rest of that connection is raw bytes. */
async function openPty(request: Record<string, unknown> = {}): Promise<Terminal> {
  const id = await connect();
  const r = await link.request(id, JSON.stringify({ id: 7, op: 'pty_open', cols: 80, rows: 24, ...request }));
  expect(r).toEqual({ id: 7, ok: true, pty: expect.stringMatching(/^pts\/\d+$/), pid: expect.any(Number) });
  return { id, pty: r.pty as string, pid: r.pid as number };
}

function type(t: Terminal, text: string | Buffer): void {
  link.frame('D', t.id, text);
}

/** A pid that is gone: reaped (a zombie, not reaped yet, still answers kill 0). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const reaped = (pid: number, timeoutMs?: number) =>
  until(`pid ${pid} to be gone`, () => (gone(pid) ? true : undefined), timeoutMs);

/** Closes the terminal from the host's side and waits for its shell to be gone. */
async function hangUp(t: Terminal): Promise<void> {
  link.frame('C', t.id);
  await reaped(t.pid);
}

/** What `stty size` says, as "rows cols". */
async function sttySize(t: Terminal): Promise<string> {
  type(t, 'stty size; echo end-$((1+1))\n');
  // The shell's prompt may come before the answer.
  const text = await link.readUntil(t.id, /\b(\d+ \d+)\r\nend-2\r\n/);
  return /\b(\d+ \d+)\r\nend-2\r\n$/.exec(text)![1]!;
}

async function ping(id: number): Promise<void> {
  expect(await link.request(id, '{"op":"ping"}')).toMatchObject({ ok: true, agent: 'banger-agent' });
}

beforeAll(async () => {
  mux = await agentOnMux('banger-agent-pty-');
  ({ dir, link } = mux);
});

afterAll(() => mux?.close());

describe('banger-agent terminals (serial mux)', () => {
  it('runs a shell on a terminal: what the host types is its input, its output comes back', async () => {
    const t = await openPty({ argv: ['/bin/sh'] });
    expect(gone(t.pid)).toBe(false);
    type(t, 'echo hi-$((6*7))\n');
    // The terminal echoes the line as typed; only the shell's output has the 42.
    expect(await link.readUntil(t.id, /hi-42\r\n/)).toContain('echo hi-$((6*7))');
    await hangUp(t);
  });

  it('takes input sent in the same frame as the pty_open request', async () => {
    const id = await connect();
    link.frame(
      'D',
      id,
      `${JSON.stringify({ op: 'pty_open', cols: 80, rows: 24, argv: ['/bin/sh'] })}\necho same-$((2*3))\n`,
    );
    const r = await link.response(id);
    expect(r).toMatchObject({ ok: true });
    await link.readUntil(id, /same-6\r\n/);
    await hangUp({ id, pty: r.pty as string, pid: r.pid as number });
  });

  it('starts the terminal at cols x rows; pty_resize on another connection changes it', async () => {
    const t = await openPty({ argv: ['/bin/sh'], cols: 123, rows: 45 });
    expect(await sttySize(t)).toBe('45 123');
    const other = await connect();
    expect(
      await link.request(
        other,
        JSON.stringify({ id: 'r', op: 'pty_resize', pty: t.pty, cols: 200, rows: 50 }),
      ),
    ).toEqual({
      id: 'r',
      ok: true,
    });
    expect(await sttySize(t)).toBe('50 200');
    expect(
      await link.request(other, JSON.stringify({ op: 'pty_resize', pty: t.pty, cols: 0, rows: 50 })),
    ).toEqual({
      ok: false,
      error: 'cols must be a whole number from 1 to 1000',
    });
    expect(await sttySize(t)).toBe('50 200');
    await hangUp(t);
    expect(
      await link.request(other, JSON.stringify({ op: 'pty_resize', pty: t.pty, cols: 80, rows: 24 })),
    ).toEqual({
      ok: false,
      error: `no terminal "${t.pty}" in this VM`,
    });
    await ping(other);
  });

  it('carries any bytes both ways: NUL, 0xff, invalid UTF-8, control characters', async () => {
    const t = await openPty({ argv: ['/bin/sh'] });
    // Raw mode first, so the line discipline passes every byte as it is; "ready" is
    // printed once the shell has read the whole line and runs it, so what follows is head's.
    type(t, "stty raw -echo; echo rea''dy; head -c 8 | od -An -tx1; echo do''ne\n");
    await link.readUntil(t.id, /ready/);
    type(t, Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x03, 0x04, 0x1b, 0x0a]));
    const text = await link.readUntil(t.id, /done/);
    expect(text.replace(/\s+/g, ' ')).toContain(' 00 ff c3 28 03 04 1b 0a done');
    type(t, "printf 'A\\000\\377\\303(\\033B'; echo en''d\n");
    const bytes = Buffer.from(await link.readUntil(t.id, /end/), 'latin1');
    expect(bytes.subarray(-10)).toEqual(
      Buffer.from([0x41, 0x00, 0xff, 0xc3, 0x28, 0x1b, 0x42, 0x65, 0x6e, 0x64]),
    );
    await hangUp(t);
  });

  it('sends the output left and closes the connection when the shell exits; the shell is reaped', async () => {
    const t = await openPty({ argv: ['/bin/sh'] });
    type(t, 'echo bye-$((1+1)); exit 3\n');
    await link.closedBy(t.id);
    expect(await link.readUntil(t.id, /bye-2\r\n/)).toContain('bye-2');
    await reaped(t.pid);
  });

  it('sends all of a large output', async () => {
    const t = await openPty({ argv: ['/bin/sh', '-c', 'seq 1 200000'] });
    await link.closedBy(t.id);
    const text = await link.readUntil(t.id, /200000\r\n/);
    const lines = text.split('\r\n').slice(0, -1);
    expect(lines.length).toBe(200000);
    expect(lines.every((line, i) => line === String(i + 1))).toBe(true);
    await reaped(t.pid);
  });

  it('over the serial mux, input a terminal does not read holds back neither other connections nor its hangup', async () => {
    const t = await openPty({ argv: ['/bin/sh', '-c', "stty -echo; echo rea''dy; sleep 30"] });
    await link.readUntil(t.id, /ready/);
    link.send(dataFrames(t.id, Buffer.alloc(3 << 20, 'x')));
    await ping(await connect());
    expect(gone(t.pid)).toBe(false);
    await hangUp(t);
  });

  it('hangs the shell up when the host closes the connection, and kills one that ignores it after 5 s', async () => {
    const t = await openPty({ argv: ['/bin/sh'] });
    type(t, 'echo up-$((1+1))\n');
    await link.readUntil(t.id, /up-2\r\n/);
    await hangUp(t);

    const stubborn = await openPty({
      argv: ['/bin/sh', '-c', "trap '' HUP; echo rea''dy; while :; do sleep 0.2; done"],
    });
    await link.readUntil(stubborn.id, /ready/);
    const closed = Date.now();
    link.frame('C', stubborn.id);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(gone(stubborn.pid)).toBe(false);
    await reaped(stubborn.pid, 10_000);
    expect(Date.now() - closed).toBeGreaterThanOrEqual(4500);
  });

  it("runs root's login shell by default, in /root, with the terminal environment plus env", async () => {
    const t = await openPty({ env: ['FOO=bar', 'TERM=screen'] });
    type(t, 'echo "[$0|$FOO|$TERM|$HOME|$USER|$LOGNAME|$SHELL|$(pwd)]" | tr "[]" "<>"\n');
    const text = await link.readUntil(t.id, /<[^>\r\n]*>\r\n/);
    const shell = /^root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:(.*)$/m.exec(readFileSync('/etc/passwd', 'utf8'))![1]!;
    const name = shell.slice(shell.lastIndexOf('/') + 1);
    expect(text).toContain(`<-${name}|bar|screen|/root|root|root|${shell}|/root>`);
    await hangUp(t);

    const sh = await openPty({ argv: ['/bin/sh'], cwd: '/tmp' });
    type(sh, 'echo "<$0|$TERM|$(pwd)>"\n');
    expect(await link.readUntil(sh.id, /<[^>\r\n]*>\r\n/)).toContain('</bin/sh|xterm-256color|/tmp>');
    await hangUp(sh);
  });

  it('reports a command that cannot run on the terminal, exits 127 and closes', async () => {
    const garbage = join(dir, 'garbage');
    writeFileSync(garbage, 'not a program\n', { mode: 0o755 });
    const t = await openPty({ argv: [garbage] });
    await link.closedBy(t.id);
    expect(await link.readUntil(t.id, /\r\n/)).toMatch(
      new RegExp(`^banger-agent: cannot run ${garbage}: .+\\r\\n$`),
    );
    await reaped(t.pid);
  });

  it('refuses a bad pty_open with one line and keeps the connection in line mode', async () => {
    const id = await connect();
    const refused: [Record<string, unknown>, string][] = [
      [{ cols: 0, rows: 24 }, 'cols must be a whole number from 1 to 1000'],
      [{ cols: 1001, rows: 24 }, 'cols must be a whole number from 1 to 1000'],
      [{ cols: '80', rows: 24 }, 'cols must be a whole number from 1 to 1000'],
      [{ cols: 80, rows: 2.5 }, 'rows must be a whole number from 1 to 1000'],
      [{ cols: 80 }, 'rows must be a whole number from 1 to 1000'],
      [{ cols: 80, rows: 24, argv: [] }, 'argv must be a non-empty array of strings'],
      [{ cols: 80, rows: 24, argv: ['sh', 1] }, 'argv must be an array of strings (without NUL bytes)'],
      [{ cols: 80, rows: 24, argv: 'sh' }, 'argv must be an array of strings (without NUL bytes)'],
      [{ cols: 80, rows: 24, env: { A: 'b' } }, 'env must be an array of strings (without NUL bytes)'],
      [{ cols: 80, rows: 24, env: ['NOEQ'] }, 'env entry "NOEQ" is not of the form K=V'],
      [{ cols: 80, rows: 24, cwd: 5 }, 'cwd must be a non-empty string'],
      [{ cols: 80, rows: 24, cwd: '/nowhere' }, 'working directory /nowhere does not exist in the guest'],
      [
        { cols: 80, rows: 24, argv: ['no-such-command'] },
        `command "no-such-command" is not on the guest's PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)`,
      ],
      [{ cols: 80, rows: 24, argv: ['/no/such'] }, 'command "/no/such" is not an executable file'],
    ];
    for (const [request, error] of refused) {
      const r: Response = await link.request(id, JSON.stringify({ op: 'pty_open', ...request }));
      expect(r, JSON.stringify(request)).toEqual({ ok: false, error });
    }
    expect(await link.request(id, '{"op":"pty_resize","pty":"pts/999999","cols":80,"rows":24}')).toEqual({
      ok: false,
      error: 'no terminal "pts/999999" in this VM',
    });
    expect(await link.request(id, '{"op":"pty_resize","cols":80,"rows":24}')).toEqual({
      ok: false,
      error: 'pty must be a string',
    });
    await ping(id);
  });

  it('opens at most 16 terminals; the 17th is refused on a connection that stays usable', async () => {
    const open: Terminal[] = [];
    for (let i = 0; i < 16; i++) open.push(await openPty({ argv: ['/bin/sh'] }));
    const id = await connect();
    expect(
      await link.request(id, JSON.stringify({ op: 'pty_open', cols: 80, rows: 24, argv: ['/bin/sh'] })),
    ).toEqual({
      ok: false,
      error: 'too many terminals open in this VM (at most 16)',
    });
    await ping(id);
    // Each still works; one closed makes room for another.
    type(open[15]!, 'echo last-$((4*4))\n');
    await link.readUntil(open[15]!.id, /last-16\r\n/);
    await hangUp(open.pop()!);
    const again = await openPty({ argv: ['/bin/sh'] });
    for (const t of [...open, again]) await hangUp(t);
  });
});
