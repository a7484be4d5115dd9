import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VsockBackend } from './vsock.js';
import { encodeFrame, type Frame, FrameDecoder } from './vsock-frames.js';

const dir = mkdtempSync(join(tmpdir(), 'standin-vsock-'));
const backends: VsockBackend[] = [];
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

/** A backend listening on a fresh path, with a fake guest on the other end of its serial channel. */
async function setup(attach = true) {
  const path = join(dir, `v${backends.length}-${Date.now()}.sock`);
  const backend = new VsockBackend();
  backends.push(backend);
  await backend.bind(path);
  // A real connected socket pair through a throwaway Unix socket: one end for the backend, one for the "guest".
  const pairPath = `${path}.pair`;
  const server = createServer();
  server.listen(pairPath);
  await once(server, 'listening');
  const guestSide = connect(pairPath);
  const [channel] = (await once(server, 'connection')) as [Socket];
  server.close();
  rmSync(pairPath, { force: true });
  if (attach) backend.attachChannel(channel);
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  guestSide.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  const nextFrame = async (): Promise<Frame> => {
    while (frames.length === 0) await once(guestSide, 'data');
    return frames.shift() as Frame;
  };
  return { path, guestSide, channel, nextFrame };
}

async function hostConnect(path: string, line: string) {
  const socket = connect(path);
  await once(socket, 'connect');
  socket.write(line);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
  });
  const closed = once(socket, 'close');
  return { socket, text: () => text, closed };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('stand-in vsock over a serial channel', () => {
  it('carries a host-initiated connection the guest accepts, both ways, then its close', async () => {
    const { path, guestSide, nextFrame } = await setup();
    const host = await hostConnect(path, 'CONNECT 52\nearly');
    const open = await nextFrame();
    expect([open.type, open.payload.toString()]).toEqual(['O', '52']);
    guestSide.write(encodeFrame('O', open.id));
    await until(() => host.text() === `OK ${2 ** 30}\n`);
    expect(await nextFrame()).toMatchObject({ type: 'D', id: open.id, payload: Buffer.from('early') });
    host.socket.write('ping\n');
    expect((await nextFrame()).payload.toString()).toBe('ping\n');
    guestSide.write(
      Buffer.concat([encodeFrame('D', open.id, Buffer.from('pong\n')), encodeFrame('C', open.id)]),
    );
    await host.closed;
    expect(host.text()).toBe(`OK ${2 ** 30}\npong\n`);
  });

  it('closes the host side when the guest refuses, and numbers local ports upwards', async () => {
    const { path, guestSide, nextFrame } = await setup();
    const refused = await hostConnect(path, 'CONNECT 53\n');
    guestSide.write(encodeFrame('C', (await nextFrame()).id));
    await refused.closed;
    expect(refused.text()).toBe('');
    const a = await hostConnect(path, 'CONNECT 52\n');
    const b = await hostConnect(path, 'CONNECT 52\n');
    const ids = [(await nextFrame()).id, (await nextFrame()).id];
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) guestSide.write(encodeFrame('O', id));
    await until(() => a.text() !== '' && b.text() !== '');
    expect([a.text(), b.text()].sort()).toEqual([`OK ${2 ** 30}\n`, `OK ${2 ** 30 + 1}\n`]);
    // The host closing is told to the guest.
    a.socket.end();
    expect((await nextFrame()).type).toBe('C');
  });

  it.each([
    ['a malformed request', 'HELLO 52\n'],
    ['a port beyond u32', 'CONNECT 4294967296\n'],
    ['a first line that never ends', 'CONNECT 52'.padEnd(64, '5')],
  ])('closes %s without telling the guest', async (_what, line) => {
    const { path, nextFrame } = await setup();
    const host = await hostConnect(path, line);
    await host.closed;
    const none = await Promise.race([nextFrame(), new Promise((r) => setTimeout(() => r('none'), 100))]);
    expect(none).toBe('none');
  });

  it('closes every connection when no guest is attached (--no-guest), like Firecracker with no listener', async () => {
    const { path } = await setup(false);
    const host = await hostConnect(path, 'CONNECT 52\n');
    await host.closed;
    expect(host.text()).toBe('');
  });

  it('drops open connections when the channel ends, and answers a late accept with a close', async () => {
    const { path, guestSide, nextFrame } = await setup();
    const host = await hostConnect(path, 'CONNECT 52\n');
    const { id } = await nextFrame();
    guestSide.write(encodeFrame('O', 999));
    expect(await nextFrame()).toMatchObject({ type: 'C', id: 999 });
    guestSide.write(encodeFrame('O', id));
    await until(() => host.text().startsWith('OK '));
    guestSide.destroy();
    await host.closed;
  });

  it('gives up on a connection the guest never answers', async () => {
    const { path, nextFrame } = await setup();
    const host = await hostConnect(path, 'CONNECT 52\n');
    const { id } = await nextFrame();
    await host.closed; // after the accept timeout
    expect(await nextFrame()).toMatchObject({ type: 'C', id });
  });
});

describe('vsock frames', () => {
  it('decodes frames split anywhere and several in one chunk', () => {
    const bytes = Buffer.concat([
      encodeFrame('O', 7, Buffer.from('52')),
      encodeFrame('D', 0xffffffff, Buffer.from('xy')),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(frames.map((f) => [f.type, f.id, f.payload.toString()])).toEqual([
        ['O', 7, '52'],
        ['D', 0xffffffff, 'xy'],
      ]);
    }
  });

  it('refuses a bad type and an oversize length', () => {
    expect(() => new FrameDecoder().push(Buffer.from('X\x00\x00\x00\x01\x00\x00\x00\x00', 'latin1'))).toThrow(
      'bad vsock frame type 0x58',
    );
    const big = Buffer.alloc(9);
    big.write('D', 0, 'latin1');
    big.writeUInt32BE(65537, 5);
    expect(() => new FrameDecoder().push(big)).toThrow('vsock frame of 65537 bytes is too long');
    expect(() => encodeFrame('D', 1, Buffer.alloc(65537))).toThrow(
      'frame payload of 65537 bytes is too long',
    );
  });
});
