// A minimal QMP client: newline-delimited JSON over a connected stream.
// Contract: `ready()` resolves after the greeting and capability negotiation;
// `execute` resolves with `return` or rejects with QMP's error description;
// pending commands reject when the stream closes.
import type { Duplex } from 'node:stream';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class Qmp {
  private buffer = '';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private greeted: (() => void) | undefined;
  private closedError: Error | undefined;
  private readonly greeting: Promise<void>;
  private eventListener: ((event: string, data: unknown) => void) | undefined;

  constructor(private readonly stream: Duplex) {
    this.greeting = new Promise((resolve, reject) => {
      this.greeted = resolve;
      stream.once('close', () => reject(new Error('QMP connection closed before the greeting')));
    });
    // The greeting promise may lose the race against close; its rejection is reported through ready().
    this.greeting.catch(() => {});
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.onData(chunk));
    stream.on('error', () => {}); // 'close' follows and fails whatever is pending
    stream.on('close', () => this.onClose());
  }

  async ready(): Promise<void> {
    await this.greeting;
    await this.execute('qmp_capabilities');
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.stream.write(
        `${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`,
      );
    });
  }

  onEvent(listener: (event: string, data: unknown) => void): void {
    this.eventListener = listener;
  }

  close(): void {
    this.stream.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl !== -1; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QMP only sends JSON objects; ignore anything else
    }
    if ('QMP' in message) {
      this.greeted?.();
      return;
    }
    if (typeof message.event === 'string') {
      this.eventListener?.(message.event, message.data);
      return;
    }
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending || typeof message.id !== 'number') return;
    this.pending.delete(message.id);
    if ('error' in message) {
      const error = message.error as { desc?: string } | undefined;
      pending.reject(new Error(error?.desc ?? 'QMP command failed'));
    } else pending.resolve(message.return);
  }

  private onClose(): void {
    this.closedError = new Error('QMP connection closed');
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
  }
}
