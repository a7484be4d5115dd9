// Drives banger-agent's serial mode on the host: a Unix socket server stands in for
// the host's end of the virtio-serial channel, and the agent runs with --serial.
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/sandbox.js';
import { encodeFrame, type Frame, FrameDecoder } from './frames.js';

// BANGER_TEST_AGENT runs the tests against another build, e.g. one with sanitizers.
export const AGENT = process.env.BANGER_TEST_AGENT ?? join(REPO, 'dist', 'guest', 'banger-agent');
const WAIT_MS = 15_000;

/** Resolves when check() gives a value; re-checked whenever events emits 'change'. */
async function waitFor<T>(
  events: EventEmitter,
  check: () => T | undefined,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        events.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, left);
      events.on('change', done);
    });
  }
}

/** One connection of the agent to the server: the serial channel, as the host sees it. */
export class MuxLink {
  readonly frames: Frame[] = [];
  readonly closedIds = new Set<number>();
  /** Frames the agent should never have sent (the decoder's complaints). */
  readonly errors: string[] = [];
  ended = false;
  private readonly received = new Map<number, Buffer>();
  private readonly events = new EventEmitter();

  constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      try {
        for (const frame of decoder.push(chunk)) this.take(frame);
      } catch (err) {
        this.errors.push((err as Error).message);
      }
      this.events.emit('change');
    });
    socket.on('close', () => {
      this.ended = true;
      this.events.emit('change');
    });
    socket.on('error', () => {});
  }

  private take(frame: Frame): void {
    this.frames.push(frame);
    if (frame.type === 'D') {
      this.received.set(
        frame.id,
        Buffer.concat([this.received.get(frame.id) ?? Buffer.alloc(0), frame.payload]),
      );
    } else if (frame.type === 'C') {
      this.closedIds.add(frame.id);
    }
  }

  send(data: Buffer): void {
    if (!this.ended) this.socket.write(data);
  }

  frame(type: string, id: number, payload: Buffer | string = ''): void {
    this.send(encodeFrame(type, id, payload));
  }

  /** Opens connection id to port; resolves with the agent's answer, 'O' or 'C'. */
  async open(id: number, port: number | string = 52): Promise<string> {
    const from = this.frames.length;
    this.frame('O', id, String(port));
    return this.until(
      () => this.frames.slice(from).find((f) => f.id === id && (f.type === 'O' || f.type === 'C'))?.type,
      `the answer to opening ${id}`,
    );
  }

  /** The next n response lines on connection id (raw text, no newline). */
  async lines(id: number, n: number): Promise<string[]> {
    const lines = await this.until(() => {
      const data = this.received.get(id) ?? Buffer.alloc(0);
      const found: Buffer[] = [];
      let start = 0;
      while (found.length < n) {
        const nl = data.indexOf(10, start);
        if (nl < 0) return undefined;
        found.push(data.subarray(start, nl));
        start = nl + 1;
      }
      this.received.set(id, data.subarray(start));
      return found;
    }, `${n} lines on connection ${id}`);
    return lines.map((line) => new TextDecoder('utf-8', { fatal: true }).decode(line));
  }

  /** The next response on connection id, parsed. */
  async response(id: number): Promise<Record<string, unknown>> {
    const [line] = await this.lines(id, 1);
    return JSON.parse(line!) as Record<string, unknown>;
  }

  /** Sends one request line on connection id and returns its response. */
  async request(id: number, line: string): Promise<Record<string, unknown>> {
    this.frame('D', id, `${line}\n`);
    return this.response(id);
  }

  /** Every complete line received and not read yet, on any connection (must be UTF-8). */
  unreadLines(): string[] {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    return [...this.received.values()].flatMap((data) => {
      const text = decoder.decode(data.subarray(0, data.lastIndexOf(10) + 1));
      return text.split('\n').slice(0, -1);
    });
  }

  /**
   * For a raw stream (a pty): waits until the bytes received on id and not read
   * yet, as latin1 text (one char per byte), match pattern; reads them up to the
   * match's end and returns them. Data that came before the agent closed the
   * connection can still be read after.
   */
  async readUntil(id: number, pattern: RegExp, what = `${pattern} on connection ${id}`): Promise<string> {
    return this.until(() => {
      const data = this.received.get(id) ?? Buffer.alloc(0);
      const text = data.toString('latin1');
      const match = pattern.exec(text);
      if (!match) return undefined;
      const end = match.index + match[0].length;
      this.received.set(id, data.subarray(end));
      return text.slice(0, end);
    }, what);
  }

  /** Bytes received on id not yet read as lines. */
  pending(id: number): number {
    return this.received.get(id)?.length ?? 0;
  }

  async closedBy(id: number): Promise<void> {
    await this.until(() => (this.closedIds.has(id) ? true : undefined), `the agent closing ${id}`);
  }

  async end(): Promise<void> {
    await waitFor(this.events, () => (this.ended ? true : undefined), 'the agent to drop the channel');
  }

  /** Like waitFor, but fails at once if the channel ends first. */
  private until<T>(check: () => T | undefined, what: string): Promise<T> {
    return waitFor(
      this.events,
      () => {
        const value = check();
        if (value === undefined && this.ended) throw new Error(`channel ended while waiting for ${what}`);
        return value;
      },
      what,
    );
  }
}

/** The host's end: a Unix socket server that counts the agent's connections. */
export class MuxServer {
  readonly links: MuxLink[] = [];
  private readonly events = new EventEmitter();

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {
    server.on('connection', (socket) => {
      this.links.push(new MuxLink(socket));
      this.events.emit('change');
    });
  }

  static async listen(path: string): Promise<MuxServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    return new MuxServer(path, server);
  }

  /** The index-th connection of the agent (0: the first), once it comes. */
  link(index = 0): Promise<MuxLink> {
    return waitFor(this.events, () => this.links[index], `agent connection #${index + 1}`);
  }

  /** Stops listening and drops every connection, as a host going away would. */
  async close(): Promise<void> {
    for (const link of this.links) link.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

/** A running agent, with what it logged. */
export interface Agent {
  proc: ChildProcess;
  stderr(): string;
  alive(): boolean;
  /** Resolves once what it logged matches pattern. */
  logged(pattern: RegExp): Promise<void>;
  stop(): Promise<void>;
}

export function startAgent(args: string[]): Agent {
  const proc = spawn(AGENT, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    stderr: () => stderr,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async logged(pattern) {
      const deadline = Date.now() + WAIT_MS;
      while (!pattern.test(stderr)) {
        if (Date.now() > deadline) throw new Error(`agent never logged ${pattern}; it logged:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** An agent on a fresh mux server in its own temp dir (`dir`), with its channel connected. */
export interface AgentOnMux {
  dir: string;
  agent: Agent;
  link: MuxLink;
  /** Stops the agent and the server and removes the dir. */
  close(): Promise<void>;
}

export async function agentOnMux(prefix: string): Promise<AgentOnMux> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const server = await MuxServer.listen(join(dir, 'serial.sock'));
  const agent = startAgent(['--serial', server.path]);
  const link = await server.link(0);
  return {
    dir,
    agent,
    link,
    close: async () => {
      await agent.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
