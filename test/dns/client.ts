/** Loopback-only DNS clients for the integration tests: raw UDP and the real `dig`. */
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { type DecodedPacket, decode } from 'dns-packet';

const execFileAsync = promisify(execFile);

/** A UDP socket that sends datagrams to one server and collects whatever comes back. */
export class UdpClient {
  readonly #socket: Socket;
  readonly #waiters = new Set<(packet: Buffer) => boolean>();
  received = 0;

  private constructor(
    socket: Socket,
    readonly host: string,
    readonly port: number,
  ) {
    this.#socket = socket;
    socket.on('message', (packet) => {
      this.received++;
      for (const waiter of this.#waiters) if (waiter(packet)) this.#waiters.delete(waiter);
    });
  }

  static async open(host: string, port: number): Promise<UdpClient> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new UdpClient(socket, host, port);
  }

  send(packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#socket.send(packet, this.port, this.host, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Resolves with the first datagram `match` accepts; rejects after `timeoutMs`. */
  waitFor(match: (packet: Buffer) => boolean, timeoutMs = 2000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const waiter = (packet: Buffer): boolean => {
        if (!match(packet)) return false;
        clearTimeout(timer);
        resolve(packet);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no matching DNS response from ${this.host}:${this.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Sends a query and waits for the response carrying its id and question. */
  async ask(packet: Buffer, timeoutMs = 2000): Promise<{ raw: Buffer; packet: DecodedPacket }> {
    const id = packet.readUInt16BE(0);
    const question = packet.subarray(12, packet.indexOf(0, 12) + 5);
    const response = this.waitFor(
      (candidate) =>
        candidate.length >= 12 + question.length &&
        candidate.readUInt16BE(0) === id &&
        candidate.subarray(12, 12 + question.length).equals(question),
      timeoutMs,
    );
    await this.send(packet);
    const raw = await response;
    return { raw, packet: decode(raw) };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  output: string;
}

/** Runs the real `dig` against the server and picks the parts the tests look at. */
export async function dig(
  server: { host: string; port: number },
  name: string,
  type = 'A',
): Promise<DigResult> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${server.host}`, '-p', String(server.port), '+tries=1', '+time=2', name, type],
    { timeout: 10_000 },
  );
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? '';
  const flags = (/;; flags: ([a-z ]+);/.exec(stdout)?.[1] ?? '').trim().split(/\s+/);
  return {
    status,
    flags,
    answer: section(stdout, 'ANSWER'),
    authority: section(stdout, 'AUTHORITY'),
    output: stdout,
  };
}

function section(output: string, name: string): string[] {
  const start = output.indexOf(`;; ${name} SECTION:\n`);
  if (start === -1) return [];
  const body = output.slice(start).split('\n').slice(1);
  const end = body.indexOf('');
  return body.slice(0, end === -1 ? undefined : end).map((line) => line.split(/\s+/).join(' '));
}
