// The host side of a vsock device, as Firecracker's hybrid vsock: the VMM
// listens on `uds_path`; a host program connects, writes `CONNECT <port>\n`
// and, once a guest program accepted on that vsock port, reads
// `OK <local port>\n` and then talks to it. When nothing in the guest
// listens on the port, Firecracker closes the connection.
//
// These machines have no vhost-vsock, so QEMU gets no vsock device. When the
// stand-in runs a guest it instead carries each connection over one
// virtio-serial port named `banger.vsock`, multiplexed in frames
// (vsock-frames.ts); banger's guest agent uses that port when the guest has
// no vsock. This emulation exists only in the stand-in. Without a guest
// (--no-guest) or before QEMU is attached, every connection is closed, as
// Firecracker does when no guest program listens.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeFrame, type Frame, FrameDecoder, MAX_FRAME_PAYLOAD } from './vsock-frames.js';

/** How long the guest has to accept a connection before the host side is closed. */
const ACCEPT_TIMEOUT_MS = 2000;
/** `CONNECT 4294967295\n` is 19 bytes; a longer first line is not a hybrid vsock request. */
const MAX_CONNECT_LINE = 32;
/** Firecracker numbers the host end of host-initiated connections from 2^30 up. */
const FIRST_LOCAL_PORT = 2 ** 30;

interface HostConnection {
  socket: Socket;
  accepted: boolean;
  /** Bytes the host sent after its CONNECT line, before the guest accepted. */
  early: Buffer[];
  timer: NodeJS.Timeout | undefined;
}

export class VsockBackend {
  private server: Server | undefined;
  private path: string | undefined;
  private channel: Duplex | undefined;
  private readonly conns = new Map<number, HostConnection>();
  private nextId = 1;
  private nextLocalPort = FIRST_LOCAL_PORT;

  /** Listens on `path`; rejects with the Node error (EADDRINUSE...) when it cannot. */
  async bind(path: string): Promise<void> {
    const server = createServer((socket) => this.onHost(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.close();
    this.server = server;
    this.path = path;
  }

  /** Carries connections over `channel` (QEMU's end of the `banger.vsock` serial port) until it ends. */
  attachChannel(channel: Duplex): void {
    this.channel = channel;
    const decoder = new FrameDecoder();
    channel.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch {
        channel.destroy(); // a peer that breaks the framing cannot be resynchronised
        return;
      }
      for (const frame of frames) this.onGuestFrame(frame);
    });
    const detach = () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      for (const id of [...this.conns.keys()]) this.drop(id, false);
    };
    channel.on('close', detach);
    channel.on('error', detach);
  }

  /** Stops listening and removes the socket file; idempotent and synchronous. */
  close(): void {
    this.server?.close();
    if (this.path) rmSync(this.path, { force: true });
    this.server = undefined;
    this.path = undefined;
    for (const id of [...this.conns.keys()]) this.drop(id, true);
  }

  private onHost(socket: Socket): void {
    let line = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      line = Buffer.concat([line, chunk]);
      const end = line.indexOf(0x0a);
      if (end < 0) {
        if (line.length > MAX_CONNECT_LINE) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const port = /^CONNECT ([0-9]{1,10})$/.exec(line.subarray(0, end).toString('latin1'))?.[1];
      if (port === undefined || Number(port) > 0xffffffff || !this.channel) {
        socket.destroy();
        return;
      }
      this.open(socket, Number(port), line.subarray(end + 1));
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  }

  private open(socket: Socket, port: number, early: Buffer): void {
    const id = this.nextId++;
    const conn: HostConnection = {
      socket,
      accepted: false,
      early: early.length ? [early] : [],
      timer: setTimeout(() => this.drop(id, true), ACCEPT_TIMEOUT_MS),
    };
    this.conns.set(id, conn);
    socket.on('data', (chunk: Buffer) => {
      if (conn.accepted) this.sendData(id, chunk);
      else conn.early.push(chunk);
    });
    socket.on('close', () => this.drop(id, true));
    this.send(encodeFrame('O', id, Buffer.from(String(port))));
  }

  private onGuestFrame(frame: Frame): void {
    const conn = this.conns.get(frame.id);
    if (!conn) {
      // A late accept of a connection given up on: tell the guest it is gone.
      if (frame.type === 'O') this.send(encodeFrame('C', frame.id));
      return;
    }
    if (frame.type === 'C') {
      this.drop(frame.id, false);
    } else if (frame.type === 'D') {
      conn.socket.write(frame.payload);
    } else if (!conn.accepted) {
      conn.accepted = true;
      clearTimeout(conn.timer);
      conn.socket.write(`OK ${this.nextLocalPort++}\n`);
      for (const chunk of conn.early.splice(0)) this.sendData(frame.id, chunk);
    }
  }

  private sendData(id: number, chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += MAX_FRAME_PAYLOAD) {
      this.send(encodeFrame('D', id, chunk.subarray(at, at + MAX_FRAME_PAYLOAD)));
    }
  }

  private send(frame: Buffer): void {
    this.channel?.write(frame);
  }

  /** Forgets a connection, closes the host side, and tells the guest when it did not close it itself. */
  private drop(id: number, tellGuest: boolean): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    this.conns.delete(id);
    clearTimeout(conn.timer);
    if (tellGuest) this.send(encodeFrame('C', id));
    conn.socket.destroySoon(); // after what was already written to it
  }
}
