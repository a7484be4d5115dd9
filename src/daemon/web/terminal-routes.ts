import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { Logger } from '../../host/logger.js';
import type { TerminalService } from '../services/vm/terminals.js';
import { isOwnHost, isOwnOrigin, SECURITY_HEADERS } from './guard.js';
import { hasSession } from './session.js';
import { bridgeTerminal, parseSize } from './terminal-bridge.js';
import type { TerminalTickets } from './terminal-tickets.js';

/** `POST` here (the API's guard: cookie, Bearer secret, Origin) trades `{vm}` for `{ticket}`. */
const TERMINAL_TICKET_PATH = '/v1/web/terminal-ticket';
/** The WebSocket: `ws://<host>/v1/web/terminal?cols=N&rows=N`. */
const TERMINAL_PATH = '/v1/web/terminal';
/** The subprotocol the page asks for, and the prefix of the one that carries its ticket. */
const TERMINAL_PROTOCOL = 'banger-terminal';
const TICKET_PROTOCOL_PREFIX = 'banger-ticket.';

export interface TerminalRouteOptions {
  allowedHosts(): readonly string[];
  sessionToken(): string;
  tickets: TerminalTickets;
  terminals: TerminalService;
  logger: Logger;
}

const TicketRequest = z.object({ vm: z.string().min(1).max(200) }).strict();

/**
 * The browser terminal on the web listener (docs/web-ui.md). The ticket
 * route is an ordinary API route behind the guard. The WebSocket upgrade
 * never reaches Fastify's hooks (Node hands it to the `upgrade` event), so
 * it is checked here as strictly: Host, Origin (a WebSocket is not bound by
 * the same-origin policy: without this check any site's page could open
 * one with the user's cookie), the cookie, and a one-time ticket in place
 * of the Bearer secret a browser cannot send on a WebSocket.
 */
export function registerTerminalRoutes(app: FastifyInstance, o: TerminalRouteOptions): void {
  app.post(TERMINAL_TICKET_PATH, async (request) => {
    const { vm } = TicketRequest.parse(request.body ?? {});
    // The VM is looked up when the terminal opens: a VM that is missing or stopped by then is
    // reported in the terminal itself, like one that stops while it is open.
    return { ticket: o.tickets.mint(vm) };
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => (offered.has(TERMINAL_PROTOCOL) ? TERMINAL_PROTOCOL : false),
  });
  const live = new Set<WebSocket>();
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const checked = checkUpgrade(request, o);
    if ('status' in checked) {
      refuse(socket, checked.status, checked.message);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      live.add(ws);
      ws.on('close', () => live.delete(ws));
      ws.on('error', () => ws.terminate());
      void bridgeTerminal(ws, checked.vm, checked.size, o);
    });
  });
  // Upgraded connections are no longer the HTTP server's: closing it would leave them open.
  app.addHook('preClose', async () => {
    for (const ws of live) ws.terminate();
    wss.close();
  });
}

type Checked = { vm: string; size: { cols: number; rows: number } } | { status: number; message: string };

/** The gate of the upgrade, in the guard's order; the ticket is spent only once the rest passed. */
function checkUpgrade(request: IncomingMessage, o: TerminalRouteOptions): Checked {
  const hosts = o.allowedHosts();
  if (!isOwnHost(request.headers.host, hosts)) {
    return { status: 421, message: `this server answers only as http://${hosts[0] ?? ''}/` };
  }
  const url = new URL(request.url ?? '/', 'http://host');
  if (url.pathname !== TERMINAL_PATH) return { status: 404, message: 'not found' };
  if (!isOwnOrigin(request.headers.origin, hosts)) {
    return {
      status: 403,
      message: 'refused: the terminal opens only from the web UI itself (Origin header)',
    };
  }
  const unauthorized = { status: 401, message: 'not logged in; run `banger web` for a one-time login link' };
  if (!hasSession(request.headers.cookie, o.sessionToken())) return unauthorized;
  const ticket = (request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(TICKET_PROTOCOL_PREFIX))
    ?.slice(TICKET_PROTOCOL_PREFIX.length);
  const vm = ticket ? o.tickets.redeem(ticket) : undefined;
  if (vm === undefined) {
    return {
      status: 401,
      message: 'the terminal ticket is missing, used or expired; open the terminal again',
    };
  }
  const size = parseSize(Number(url.searchParams.get('cols')), Number(url.searchParams.get('rows')));
  if (size === undefined) {
    return { status: 400, message: 'bad request: cols and rows must be whole numbers from 1 to 1000' };
  }
  return { vm, size };
}

/** An HTTP answer on the raw socket, with the listener's usual headers, then the end of it. */
function refuse(socket: Duplex, status: number, message: string): void {
  const reason = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    421: 'Misdirected Request',
  }[status];
  const body = `${message}\n`;
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${reason ?? 'Error'}\r\n${head}\r\n${body}`);
}
