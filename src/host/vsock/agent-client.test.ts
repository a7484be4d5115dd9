import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../testing/app-error.js';
import { agentRequest, pingAgent } from './agent-client.js';
import { connectVsock } from './hybrid.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-vsock-'));
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A hybrid vsock socket as Firecracker serves it; `guest` plays the program that accepted. */
async function vmm(behave: (socket: Socket, connectLine: string) => void): Promise<string> {
  const path = join(dir, `v${servers.length}-${Math.random()}.sock`);
  const server = createServer((socket) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onData);
      behave(socket, text.slice(0, end));
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(path);
  await once(server, 'listening');
  servers.push(server);
  return path;
}

/** An agent answering each request line with `answer(request)`. */
const agent = (answer: (req: Record<string, unknown>) => string) => (socket: Socket, line: string) => {
  expect(line).toBe('CONNECT 52');
  socket.write('OK 1073741824\n');
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString();
    const end = text.indexOf('\n');
    if (end >= 0) socket.write(answer(JSON.parse(text.slice(0, end)) as Record<string, unknown>));
  });
};

describe('connectVsock', () => {
  it('keeps bytes the guest sent right after the acknowledgement', async () => {
    const path = await vmm((socket, line) => socket.write(`OK 7\nhello ${line}`));
    const socket = await connectVsock(path, 1234, 1000);
    const data = once(socket, 'data');
    socket.resume();
    const [chunk] = (await data) as [Buffer];
    expect(chunk.toString()).toBe('hello CONNECT 1234');
    socket.destroy();
  });

  it.each([
    [
      'a refusal (the VMM closes)',
      (s: Socket) => s.end(),
      'operation_failed',
      'nothing in the guest accepted',
    ],
    [
      'a bad acknowledgement',
      (s: Socket) => s.write('NO\n'),
      'operation_failed',
      'the VMM sent something that is not a vsock acknowledgement',
    ],
    [
      'an endless line',
      (s: Socket) => s.write('x'.repeat(64)),
      'operation_failed',
      'the VMM sent something that is not a vsock acknowledgement',
    ],
    ['silence', () => {}, 'timeout', 'no answer within 300 ms'],
  ])('rejects %s with one line', async (_what, behave, code, text) => {
    const err = await rejectionOf(connectVsock(await vmm(behave), 52, 300));
    expect(err.code).toBe(code);
    expect(err.message).toContain(`guest vsock port 52: ${text}`);
  });

  it('rejects when there is no socket at all', async () => {
    const err = await rejectionOf(connectVsock(join(dir, 'missing.sock'), 52, 300));
    expect(err.message).toMatch(/^guest vsock port 52: .*ENOENT/);
  });
});

describe('guest agent client', () => {
  it('pings: sends one JSON line with an id, reads the fields', async () => {
    const seen: unknown[] = [];
    const path = await vmm(
      agent((req) => {
        seen.push(req);
        return '{"id":1,"ok":true,"agent":"banger-agent","protocol":1,"uptime_s":12.5,"load":[0.1,0.2,0.3]}\n';
      }),
    );
    expect(await pingAgent(path, 1000)).toEqual({
      agent: 'banger-agent',
      protocol: 1,
      uptimeSeconds: 12.5,
      load: [0.1, 0.2, 0.3],
    });
    expect(seen).toEqual([{ id: 1, op: 'ping' }]);
  });

  it.each([
    ['a refusal', '{"ok":false,"error":"unknown op \\"x\\""}\n', 'unknown op "x"'],
    ['not JSON', 'nope\n', 'not JSON'],
    ['not an object', '[1]\n', 'not a JSON object'],
  ])('rejects %s', async (_what, line, text) => {
    const err = await rejectionOf(agentRequest(await vmm(agent(() => line)), { op: 'x' }, 1000));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toContain(text);
  });

  it('fails the request, not the process, when the connection is reset after the handshake', async () => {
    // Closing with our request unread makes the kernel reset the connection (ECONNRESET on our side).
    const resets = await vmm((socket) => {
      socket.pause();
      socket.write('OK 1\n');
      setTimeout(() => socket.destroy(), 200);
    });
    expect((await rejectionOf(pingAgent(resets, 1000))).code).toBe('operation_failed');
  });

  it('reads a response line of several hundred KB (a session log chunk)', async () => {
    const big = 'x'.repeat(400_000);
    const path = await vmm(agent(() => `${JSON.stringify({ ok: true, data: big })}\n`));
    expect((await agentRequest(path, { op: 'session_logs' }, 2000)).data).toBe(big);
  });

  it('shows a refusal as one printable line of bounded length', async () => {
    const hostile = `bad\u001b]0;pwned\u0007 thing\nsecond line${'y'.repeat(1000)}`;
    const err = await rejectionOf(
      agentRequest(await vmm(agent(() => `${JSON.stringify({ ok: false, error: hostile })}\n`)), {}, 1000),
    );
    expect(err.message).toBe('bad?]0;pwned? thing');
    const long = await rejectionOf(
      agentRequest(
        await vmm(agent(() => `${JSON.stringify({ ok: false, error: 'z'.repeat(1000) })}\n`)),
        {},
        1000,
      ),
    );
    expect(long.message).toBe(`${'z'.repeat(300)}…`);
  });

  it('rejects an agent that closes or stays silent', async () => {
    const closes = await vmm((socket) => {
      socket.write('OK 1\n');
      socket.on('data', () => socket.end());
    });
    expect((await rejectionOf(pingAgent(closes, 1000))).message).toContain('closed the connection');
    const silent = await vmm((socket) => socket.write('OK 1\n'));
    expect((await rejectionOf(pingAgent(silent, 300))).code).toBe('timeout');
  });
});
