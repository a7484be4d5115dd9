import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notLoggedInPage } from './pages.js';
import { ASSET_ROUTE, LOGIN_PATH } from './pages-routes.js';
import { bearerOf, hasSession } from './session.js';

/** Sent with every answer of the web listener, the daemon's own pages and the UI alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** What a refusal says; /v1 paths get it as JSON (`{error: {code, message}}`), pages as HTML or text. */
type Refusal = {
  status: 400 | 401 | 403 | 421;
  code: 'invalid_argument' | 'unauthorized' | 'forbidden' | 'misdirected';
  message: string;
};

export interface WebGuardOptions {
  /** The Host header values this listener answers to, e.g. `127.0.0.1:7777` and `localhost:7777`. */
  allowedHosts(): readonly string[];
  /** The session token the `banger_web` cookie must carry. */
  sessionToken(): string;
  /** Whether a Bearer secret is a live per-login session (login-sessions.ts). */
  verifySession(secret: string): boolean;
}

/**
 * The web listener's gate, run before routing decides anything else, for
 * every request (unknown paths too):
 * 1. a Host header other than the listener's own address is refused (421):
 *    a DNS-rebinding page reaches us under its own name;
 * 2. a request that can change something (not GET or HEAD) needs an Origin
 *    header naming this listener (403): no other site's page can post here;
 * 3. everything but `/login` needs the session cookie (401);
 * 4. everything else but `/` and `/assets/*` (the API, unknown paths) also
 *    needs a live per-login session secret as
 *    `Authorization: Bearer` (401): browsers send the cookie to every port
 *    of 127.0.0.1, so another local server can collect it; the secret
 *    stays in the page's per-origin sessionStorage. `/` and `/assets/*`
 *    need the cookie only: a navigation cannot carry a header, and they
 *    hold nothing but the UI's own files.
 */
export function installWebGuard(app: FastifyInstance, options: WebGuardOptions): void {
  app.addHook('onRequest', async (request, reply) => {
    setSecurityHeaders(reply);
    const refusal = check(request, options);
    if (refusal === undefined) return;
    return refuse(request, reply, refusal);
  });
}

/**
 * The web listener's `frameworkErrors` option: Fastify answers a URL it cannot
 * decode (`/assets/%zz`) before any hook runs, so the guard never sees it.
 * This gives that answer the same headers and Host check, and a fixed message
 * (Fastify's own repeats the path, which is the requester's text).
 */
export function frameworkErrorHandler(
  options: Pick<WebGuardOptions, 'allowedHosts'>,
): (error: Error, request: FastifyRequest, reply: FastifyReply) => void {
  return (_error, request, reply) => {
    setSecurityHeaders(reply);
    void refuse(request, reply, wrongHost(request, options.allowedHosts()) ?? MALFORMED);
  };
}

const MALFORMED: Refusal = {
  status: 400,
  code: 'invalid_argument',
  message: 'bad request: the URL is malformed',
};

// On the raw response, so streams that write their own head (events, logs) carry them too.
function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
}

/** Whether a Host header names this listener (anything else may be a DNS-rebinding page). */
export function isOwnHost(host: string | undefined, hosts: readonly string[]): boolean {
  return host !== undefined && hosts.includes(host);
}

/** Whether an Origin header is this listener's own: the UI's page, not another site's. */
export function isOwnOrigin(origin: string | undefined, hosts: readonly string[]): boolean {
  return origin !== undefined && hosts.some((h) => origin === `http://${h}`);
}

function wrongHost(request: FastifyRequest, hosts: readonly string[]): Refusal | undefined {
  if (isOwnHost(request.headers.host, hosts)) return undefined;
  return {
    status: 421,
    code: 'misdirected',
    message: `this server answers only as ${hosts.map((h) => `http://${h}/`).join(' or ')}`,
  };
}

function check(request: FastifyRequest, options: WebGuardOptions): Refusal | undefined {
  const hosts = options.allowedHosts();
  const misdirected = wrongHost(request, hosts);
  if (misdirected !== undefined) return misdirected;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    if (!isOwnOrigin(request.headers.origin, hosts)) {
      return {
        status: 403,
        code: 'forbidden',
        message: 'refused: a request that changes something must come from the web UI itself (Origin header)',
      };
    }
  }
  if (request.routeOptions.url === LOGIN_PATH) return undefined;
  const unauthorized: Refusal = {
    status: 401,
    code: 'unauthorized',
    message: 'not logged in; run `banger web` for a one-time login link',
  };
  if (!hasSession(request.headers.cookie, options.sessionToken())) return unauthorized;
  // Decided by the matched route, not the raw URL: whatever is not one of the UI's files
  // (the API, unknown paths, any odd spelling of them) needs the session secret too.
  if (COOKIE_ONLY_ROUTES.has(request.routeOptions.url ?? '')) return undefined;
  const secret = bearerOf(request.headers.authorization);
  if (secret !== undefined && options.verifySession(secret)) return undefined;
  return unauthorized;
}

/** The UI's own files, which a browser navigates to (no header possible): the cookie is enough. */
const COOKIE_ONLY_ROUTES: ReadonlySet<string> = new Set(['/', ASSET_ROUTE]);

/** The API's paths (`/v1`, `/v1/...`), whose refusals are JSON; by the raw URL, so unknown routes too. */
function isApiPath(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}

function refuse(request: FastifyRequest, reply: FastifyReply, r: Refusal): FastifyReply {
  reply.code(r.status).header('cache-control', 'no-store');
  if (isApiPath(request.url)) {
    return reply.send({ error: { code: r.code, message: r.message } });
  }
  if (r.status === 401) return reply.type('text/html; charset=utf-8').send(notLoggedInPage);
  return reply.type('text/plain; charset=utf-8').send(`${r.message}\n`);
}
