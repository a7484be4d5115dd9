import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../domain/config.js';
import { AppError } from '../../domain/errors.js';
import type { Logger } from '../../host/logger.js';
import type { BangerPaths } from '../../host/paths.js';
import { builtWebDir } from './assets.js';
import { type LoginCodeOptions, LoginCodes } from './login-codes.js';
import { LoginSessions } from './login-sessions.js';
import { TerminalTickets } from './terminal-tickets.js';
import { loadOrCreateWebToken } from './token.js';

/** The session token's file in the daemon's state dir (0700): `~/.local/state/banger/web-token`. */
export const WEB_TOKEN_FILE = 'web-token';

export interface WebUiOptions {
  /** Serve the UI from this directory (index.html, assets/) instead of dist/web/; for tests. */
  webDir?: string;
  /** Expiry and clock of login codes; for tests. */
  loginCodes?: LoginCodeOptions;
}

interface WebUiDeps {
  config: Pick<Config, 'webListenAddr'>;
  paths: Pick<BangerPaths, 'stateDir' | 'configFile'>;
  logger: Logger;
}

/**
 * The optional web listener (docs/web-ui.md): on when `web_listen_addr` is
 * set. It lives and dies with the daemon's socket server (server.ts starts
 * and closes it); a listener that cannot bind (port taken) leaves the
 * daemon running and says why in `daemon status` and the log.
 */
export class WebUi {
  readonly codes: LoginCodes;
  /** One-time tickets for the terminal's WebSocket (terminal-routes.ts). */
  readonly terminalTickets = new TerminalTickets();
  /** Per-login session secrets: in memory only, so a daemon restart ends every one. */
  private readonly sessions = new LoginSessions();
  private token: string | undefined;
  private hosts: readonly string[] = [];
  private server: FastifyInstance | undefined;
  private failure: string | undefined;

  constructor(
    private readonly deps: WebUiDeps,
    /** Builds the listener's Fastify instance (guard, API, pages); called once by start. */
    private readonly build: (ui: WebUi) => FastifyInstance,
    private readonly options: WebUiOptions = {},
  ) {
    this.codes = new LoginCodes(options.loginCodes);
  }

  /** `http://127.0.0.1:7777/` while listening, else null. */
  baseUrl(): string | null {
    const host = this.hosts[0];
    return this.server !== undefined && host !== undefined ? `http://${host}/` : null;
  }

  /** Why the listener is not running although configured, else null. */
  error(): string | null {
    return this.failure ?? null;
  }

  /** The Host header values the listener answers to (its address and `localhost:<port>`). */
  allowedHosts(): readonly string[] {
    return this.hosts;
  }

  sessionToken(): string {
    if (this.token === undefined) throw new Error('the web UI has no session token before it starts');
    return this.token;
  }

  /** A fresh per-login session secret, for a redeemed login code (pages-routes.ts). */
  mintSession(): string {
    return this.sessions.mint();
  }

  /** Whether a Bearer secret is a live session (guard.ts). */
  verifySession(secret: string): boolean {
    return this.sessions.verify(secret);
  }

  webDir(): string | undefined {
    return this.options.webDir ?? builtWebDir();
  }

  /** A one-time login link for `banger web`; a clear error when the web UI is off or not listening. */
  mintLoginUrl(): string {
    const base = this.baseUrl();
    if (base === null) {
      const where = this.deps.paths.configFile;
      if (this.deps.config.webListenAddr === undefined) {
        throw new AppError(
          'conflict',
          `the web UI is off; set web_listen_addr = "127.0.0.1:7777" in ${where} and restart the daemon`,
        );
      }
      throw new AppError(
        'operation_failed',
        `the web UI is not listening on ${this.deps.config.webListenAddr} (${this.failure ?? 'not started'}); free the port or change web_listen_addr in ${where}, then restart the daemon`,
      );
    }
    return `${base}login?code=${this.codes.mint()}`;
  }

  /** Listens on `web_listen_addr` if set. Never throws: a failure is recorded for status and logged. */
  async start(): Promise<void> {
    const addr = this.deps.config.webListenAddr;
    if (addr === undefined || this.server !== undefined) return;
    const colon = addr.lastIndexOf(':');
    const host = addr.slice(0, colon);
    let app: FastifyInstance | undefined;
    try {
      this.token = loadOrCreateWebToken(join(this.deps.paths.stateDir, WEB_TOKEN_FILE), this.deps.logger);
      app = this.build(this);
      await app.listen({ host, port: Number(addr.slice(colon + 1)) });
      const { port } = app.server.address() as AddressInfo;
      this.hosts = [`${host}:${port}`, `localhost:${port}`];
      this.server = app;
      this.failure = undefined;
      this.deps.logger.info({ url: this.baseUrl() }, 'web UI listening');
    } catch (err) {
      await app?.close();
      this.failure = (err as Error).message;
      this.deps.logger.warn({ err, addr }, 'web UI not started');
    }
  }

  /** Stops listening; open event streams are ended and remaining connections closed. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.hosts = [];
    await server?.close();
  }
}
