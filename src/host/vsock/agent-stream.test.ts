import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rejectionOf } from '../../testing/app-error.js';
import { openAgentStream } from './agent-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'banger-stream-'));
const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Bytes a terminal might send: NUL, 0xff, invalid UTF-8, a newline, an escape. */
const RAW = Buffer.from([0x00, 0xff, 0xc3, 0x28, 0x0a, 0x1b, 0x5b, 0x41]);

/**
 * A hybrid vsock socket as Firecracker serves it, the agent behind it: `answer`
 * gets the socket and the request line once both CONNECT and the request came.
 */
async function vmm(
  answer: (socket: Socket, request: string) => void,
  ack: Buffer | string = 'OK 1\n',
): Promise<string> {
  const path = join(dir, `v${servers.length}-${Math.random()}.sock`);
  const server = createServer((socket) => {
    let text = '';
    let acked = false;
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (!acked && text.includes('\n')) {
        expect(text.slice(0, text.indexOf('\n'))).toBe('CONNECT 52');
        text = text.slice(text.indexOf('\n') + 1);
        acked = true;
        if (ack.length > 0) socket.write(ack);
      }
      const end = text.indexOf('\n');
      if (acked && end >= 0) {
        socket.off('data', onData);
        answer(socket, text.slice(0, end));
      }
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(path);
  await once(server, 'listening');
  servers.push(server);
  return path;
}

/** Reads from socket until n bytes came (leaving it open, unlike a for-await loop that stops early). */
function read(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < n) return;
      socket.off('data', onData);
      socket.pause();
      resolve(data);
    };
    socket.on('data', onData);
    socket.resume();
  });
}

describe('openAgentStream', () => {
  it('reads the response line only: bytes in the same write reach the caller; the socket then carries raw bytes both ways', async () => {
    const requests: unknown[] = [];
    const echoed: Buffer[] = [];
    const path = await vmm((socket, request) => {
      requests.push(JSON.parse(request));
      socket.on('data', (d: Buffer) => echoed.push(d));
      socket.write(Buffer.concat([Buffer.from('{"id":1,"ok":true,"pty":"pts/3","pid":42}\n'), RAW]));
    });
    const { response, socket } = await openAgentStream(path, { op: 'pty_open', cols: 80, rows: 24 }, 1000);
    expect(requests).toEqual([{ id: 1, op: 'pty_open', cols: 80, rows: 24 }]);
    expect(response).toEqual({ id: 1, ok: true, pty: 'pts/3', pid: 42 });
    expect(await read(socket, RAW.length)).toEqual(RAW);
    socket.write(RAW);
    await expect.poll(() => Buffer.concat(echoed)).toEqual(RAW);
    socket.destroy();
  });

  it('keeps stream bytes that came with the VMM acknowledgement and the response in one chunk', async () => {
    // The agent answers before our request is even read: all of it arrives at once.
    const path = await vmm(
      () => {},
      Buffer.concat([Buffer.from('OK 1\n{"ok":true,"pty":"pts/0","pid":7}\n'), RAW]),
    );
    const { response, socket } = await openAgentStream(path, { op: 'pty_open' }, 1000);
    expect(response).toEqual({ ok: true, pty: 'pts/0', pid: 7 });
    expect(await read(socket, RAW.length)).toEqual(RAW);
    socket.destroy();
  });

  it("rejects a refusal with the agent's line, and closes the connection", async () => {
    let closed = false;
    const path = await vmm((socket) => {
      socket.on('close', () => {
        closed = true;
      });
      socket.write('{"id":1,"ok":false,"error":"too many terminals open in this VM (at most 16)"}\n');
    });
    const err = await rejectionOf(openAgentStream(path, { op: 'pty_open' }, 1000));
    expect(err.code).toBe('operation_failed');
    expect(err.message).toBe('too many terminals open in this VM (at most 16)');
    expect(err.details).toEqual({ agentError: 'too many terminals open in this VM (at most 16)' });
    await expect.poll(() => closed).toBe(true);
  });

  it('rejects silence past the timeout, a close without an answer, a line that is not JSON, and no agent', async () => {
    const started = Date.now();
    const silent = await rejectionOf(openAgentStream(await vmm(() => {}), { op: 'pty_open' }, 300));
    expect(silent.code).toBe('timeout');
    expect(silent.message).toBe('the guest agent did not answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(2000);

    const closes = await rejectionOf(openAgentStream(await vmm((s) => s.end()), { op: 'pty_open' }, 1000));
    expect(closes.message).toContain('closed the connection without answering');
    const garbage = await rejectionOf(
      openAgentStream(await vmm((s) => s.write('nope\n')), { op: 'x' }, 1000),
    );
    expect(garbage.message).toContain('not JSON');
    // Nothing listens on the guest port: Firecracker closes the connection.
    const absent = await rejectionOf(openAgentStream(await vmm(() => {}, ''), { op: 'x' }, 1000));
    expect(absent.code).toBe('timeout');
  });
});
