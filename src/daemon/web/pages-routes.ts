import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contentTypeOf, isPlainAssetName, readRegularFile } from './assets.js';
import type { LoginCodes } from './login-codes.js';
import { assetsMissingPage, loginFailedPage, page } from './pages.js';
import { sessionCookie } from './session.js';

export const LOGIN_PATH = '/login';
/** The UI's built files; with `/`, the only routes a cookie alone opens (guard.ts). */
export const ASSET_ROUTE = '/assets/:file';

export interface WebPagesOptions {
  /** dist/web/ (index.html and assets/), or undefined while the UI is not built. */
  webDir(): string | undefined;
  codes: LoginCodes;
  sessionToken(): string;
  /** Mints the per-login session secret the page sends as a Bearer header (login-sessions.ts). */
  mintSession(): string;
}

const HTML = 'text/html; charset=utf-8';

/** The browser side of the web listener: the UI's files and the login link `banger web` prints. */
export function registerWebPages(app: FastifyInstance, options: WebPagesOptions): void {
  app.get('/', async (_request, reply) => {
    const dir = options.webDir();
    const index = dir === undefined ? undefined : await readRegularFile(join(dir, 'index.html'));
    reply.header('cache-control', 'no-store').type(HTML);
    if (index === undefined) return reply.code(503).send(assetsMissingPage);
    return reply.send(index);
  });

  app.get(ASSET_ROUTE, async (request, reply) => {
    const { file } = request.params as { file: string };
    const dir = options.webDir();
    const bytes =
      dir !== undefined && isPlainAssetName(file)
        ? await readRegularFile(join(dir, 'assets', file))
        : undefined;
    if (bytes === undefined) return notFound(reply);
    return reply.header('cache-control', 'no-cache').type(contentTypeOf(file)).send(bytes);
  });

  // A GET, because it is a link the user opens; it changes nothing but this browser's cookie
  // and the daemon's list of sessions. The session secret goes in the redirect's fragment,
  // which the browser keeps to itself (never sent to any server, no Referer): the page
  // moves it to its per-origin sessionStorage (src/web/session.ts).
  // No HEAD twin: a HEAD (a link preview, a checker) must not spend the one-time code.
  app.get(LOGIN_PATH, { exposeHeadRoute: false }, async (request, reply) => {
    const { code } = request.query as { code?: unknown };
    reply.header('cache-control', 'no-store');
    if (typeof code !== 'string' || !options.codes.redeem(code)) {
      return reply.code(401).type(HTML).send(loginFailedPage);
    }
    return reply
      .header('set-cookie', sessionCookie(options.sessionToken()))
      .redirect(`/#session=${options.mintSession()}`, 303);
  });
}

function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type(HTML).send(page('banger: not found', 'No such file in the web UI.'));
}
