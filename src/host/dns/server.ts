import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { AppError } from '../../domain/errors.js';
import { handleDatagram } from './handler.js';
import { DEFAULT_DNS_LISTEN, formatListenAddress, type ListenAddress } from './listen-address.js';
import type { VmRecordSource } from './records.js';

/** The subset of pino the server uses; the daemon passes its logger. */
export interface DnsLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/**
 * Counters since start, for `daemon status`.
 * - `queries`: datagrams received on any listener.
 * - `errors`: datagrams that were malformed (dropped or FORMERR/NOTIMP),
 *   that we could not answer properly (SERVFAIL), or whose reply failed to send.
 */
export interface DnsStats {
  queries: number;
  errors: number;
}

export interface DnsServerOptions {
  records: VmRecordSource;
  /** Default: 127.0.0.1:42069 only. Add the bridge IP so systemd-resolved can reach us (docs/dns-routing.md). */
  listen?: readonly ListenAddress[];
  /** TTL of answers and of negative caching. Default 5 s, so changes reach caches quickly. */
  ttlSeconds?: number;
  logger?: DnsLogger;
}

const DEFAULT_DNS_TTL_SECONDS = 5;
const WARN_INTERVAL_MS = 10_000;

const silentLogger: DnsLogger = { warn: () => {}, debug: () => {} };

interface Listener {
  socket: Socket;
  address: ListenAddress;
}

/**
 * The `.vm` DNS server (UDP only; see docs/dns-routing.md for why that is
 * enough). Each datagram is handled synchronously to completion, so a
 * packet cannot leave work behind and the server cannot be stalled by
 * input; nothing a peer sends can throw out of a socket callback.
 *
 * Lifecycle: `start()` once; `addListener()` while running; `close()` any
 * time, idempotent, resolving once every socket is closed. A failed
 * `start()` closes what it had bound and may be retried.
 */
export class DnsServer {
  readonly #records: VmRecordSource;
  readonly #listen: readonly ListenAddress[];
  readonly #ttlSeconds: number;
  readonly #logger: DnsLogger;
  #state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  #listeners: Listener[] = [];
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #stats: DnsStats = { queries: 0, errors: 0 };
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #suppressedWarnings = 0;

  constructor(options: DnsServerOptions) {
    this.#records = options.records;
    this.#listen = options.listen ?? [DEFAULT_DNS_LISTEN];
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_DNS_TTL_SECONDS;
    this.#logger = options.logger ?? silentLogger;
    if (this.#listen.length === 0)
      throw new AppError('invalid_config', 'DNS server needs at least one listen address');
    if (!Number.isInteger(this.#ttlSeconds) || this.#ttlSeconds < 0 || this.#ttlSeconds > 86400) {
      throw new AppError('invalid_config', `DNS TTL must be 0-86400 seconds, got ${this.#ttlSeconds}`);
    }
  }

  /** Binds every configured address; rejects with an AppError naming the address that failed. */
  start(): Promise<void> {
    if (this.#state !== 'new') {
      return Promise.reject(new AppError('internal', `DNS server cannot start: it is ${this.#state}`));
    }
    this.#state = 'starting';
    const starting = (async () => {
      try {
        for (const address of this.#listen) this.#listeners.push(await this.#bind(address));
      } catch (err) {
        await this.#closeListeners();
        if (this.#state === 'starting') this.#state = 'new';
        throw err;
      }
      if (this.#state === 'starting') this.#state = 'running';
    })();
    this.#starting = starting;
    return starting;
  }

  /**
   * Listens on one more address while running (e.g. the bridge IP once the
   * bridge exists). Idempotent for a fixed port: an address already listened
   * on is returned as is, so the daemon may call this each time it ensures the bridge.
   */
  async addListener(address: ListenAddress): Promise<ListenAddress> {
    if (this.#state !== 'running') {
      throw new AppError('internal', `DNS server is ${this.#state}, not running`);
    }
    const existing = this.#listeners.find(
      (l) => address.port !== 0 && l.address.host === address.host && l.address.port === address.port,
    );
    if (existing !== undefined) return { ...existing.address };
    const listener = await this.#bind(address);
    if (this.#state !== 'running') {
      await closeSocket(listener.socket);
      throw new AppError('cancelled', 'DNS server closed while adding a listener');
    }
    this.#listeners.push(listener);
    return { ...listener.address };
  }

  /** Where we actually listen (with real ports when 0 was asked for). */
  addresses(): ListenAddress[] {
    return this.#listeners.map((listener) => ({ ...listener.address }));
  }

  stats(): DnsStats {
    return { ...this.#stats };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const starting = this.#starting;
      this.#state = 'closing';
      if (starting !== undefined) await starting.catch(() => undefined);
      await this.#closeListeners();
      this.#state = 'closed';
    })();
    return this.#closing;
  }

  #bind(address: ListenAddress): Promise<Listener> {
    return bindListener(address, (socket, packet, remote) => this.#onMessage(socket, packet, remote));
  }

  #onMessage(socket: Socket, packet: Buffer, remote: RemoteInfo): void {
    // Belt and braces: handleDatagram never throws, but a logger might.
    try {
      this.#stats.queries++;
      const { response, outcome } = handleDatagram(packet, {
        records: this.#records,
        ttlSeconds: this.#ttlSeconds,
      });
      if (outcome.kind === 'malformed') {
        this.#stats.errors++;
        this.#logger.debug({ from: peer(remote), reason: outcome.reason }, 'dns: malformed query');
      } else if (outcome.kind === 'failed') {
        this.#stats.errors++;
        this.#warn(
          { from: peer(remote), name: outcome.name, err: outcome.error },
          'dns: could not answer query',
        );
      }
      if (response !== undefined) this.#send(socket, response, remote);
    } catch {
      this.#stats.errors++;
    }
  }

  #send(socket: Socket, response: Buffer, remote: RemoteInfo): void {
    const onSent = (err: Error | null): void => {
      if (err === null) return;
      this.#stats.errors++;
      this.#logger.debug({ to: peer(remote), err }, 'dns: reply not sent');
    };
    try {
      // Throws synchronously for e.g. a spoofed source port 0, or once the socket is closing.
      socket.send(response, remote.port, remote.address, onSent);
    } catch (err) {
      onSent(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** A broken record source would otherwise log once per query. */
  #warn(obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.#lastWarnAt < WARN_INTERVAL_MS) {
      this.#suppressedWarnings++;
      return;
    }
    this.#logger.warn({ ...obj, suppressedSinceLast: this.#suppressedWarnings }, msg);
    this.#lastWarnAt = now;
    this.#suppressedWarnings = 0;
  }

  async #closeListeners(): Promise<void> {
    const listeners = this.#listeners;
    this.#listeners = [];
    await Promise.all(listeners.map((listener) => closeSocket(listener.socket)));
  }
}

function peer(remote: RemoteInfo): string {
  return formatListenAddress({ host: remote.address, port: remote.port });
}

async function bindListener(
  address: ListenAddress,
  onMessage: (socket: Socket, packet: Buffer, remote: RemoteInfo) => void,
): Promise<Listener> {
  const v6 = isIPv6(address.host);
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
  socket.on('message', (packet, remote) => onMessage(socket, packet, remote));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('listening', () => {
        socket.off('error', reject);
        resolve();
      });
      socket.bind(address.port, address.host);
    });
  } catch (err) {
    await closeSocket(socket);
    throw bindError(address, err);
  }
  // Runtime socket errors must not become uncaught exceptions; UDP has no connection to lose.
  socket.on('error', () => undefined);
  const bound = socket.address();
  return { socket, address: { host: bound.address, port: bound.port } };
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

function bindError(address: ListenAddress, err: unknown): AppError {
  const where = formatListenAddress(address);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new AppError(
        'conflict',
        `DNS server cannot listen on ${where}: the port is in use (another bangerd?); choose another DNS port in the config`,
        { cause: err },
      );
    case 'EADDRNOTAVAIL':
      return new AppError(
        'host_unsupported',
        `DNS server cannot listen on ${where}: no interface has that address (the bridge IP exists once the bridge is up)`,
        { cause: err },
      );
    case 'EACCES':
      return new AppError(
        'host_unsupported',
        `DNS server cannot listen on ${where}: permission denied (ports below 1024 need root)`,
        { cause: err },
      );
    default:
      return new AppError('operation_failed', `DNS server cannot listen on ${where}: ${String(err)}`, {
        cause: err,
      });
  }
}
