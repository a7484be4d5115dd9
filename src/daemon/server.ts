import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { ZodError } from 'zod';
import { type Route, socketOnlyRoutes } from '../api/routes.js';
import type { ErrorBody } from '../api/schemas.js';
import { AppError, toAppError } from '../domain/errors.js';
import type { DaemonContext } from './context.js';
import { registerEventRoutes } from './routes/events.js';
import { registerImageRoutes } from './routes/images.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerVmRoutes } from './routes/vms.js';
import { TerminalService } from './services/vm/terminals.js';
import { frameworkErrorHandler, installWebGuard } from './web/guard.js';
import { registerWebLoginRoute } from './web/login-code-route.js';
import { registerWebPages } from './web/pages-routes.js';
import { registerPortsRoute } from './web/ports-route.js';
import { registerTerminalRoutes } from './web/terminal-routes.js';
import { WebUi, type WebUiOptions } from './web/web-ui.js';

export interface ServerOptions {
  /** Test overrides for the web listener (its files, the login codes' clock). */
  web?: WebUiOptions;
}

/**
 * Builds the daemon's API on the Unix socket: every route of the table.
 * When `web_listen_addr` is set, the web listener (a second Fastify
 * instance, see buildWebServer) starts when this one is ready and closes
 * with it, so the composition root handles one server.
 */
export function buildServer(ctx: DaemonContext, options: ServerOptions = {}): FastifyInstance {
  const web = new WebUi(ctx, (ui) => buildWebServer(ctx, ui), options.web);
  const app = createApp(ctx, { forceCloseConnections: 'idle' });
  registerApiRoutes(app, ctx, web);
  registerWebLoginRoute(app, web);
  app.addHook('onReady', () => web.start());
  app.addHook('preClose', () => web.close());
  return app;
}

/**
 * The web listener: the guard (Host, Origin, cookie, session secret) in front of the same
 * API at the same paths, minus the socket-only routes, plus the UI's pages.
 * Its connections are closed at shutdown, whatever a browser keeps open.
 */
function buildWebServer(ctx: DaemonContext, web: WebUi): FastifyInstance {
  const app = createApp(ctx, { forceCloseConnections: true, frameworkErrors: frameworkErrorHandler(web) });
  // A socket-only route registered here by mistake fails the listener's start, never serves.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (socketOnlyRoutes.some((r) => r.path === route.url && methods.includes(r.method))) {
      throw new Error(`${route.url} is for the Unix socket only; it must not be on the web listener`);
    }
  });
  installWebGuard(app, web);
  const socketOnly = new Set(socketOnlyRoutes);
  registerApiRoutes(app, ctx, web, (route) => !socketOnly.has(route));
  registerWebPages(app, {
    webDir: () => web.webDir(),
    codes: web.codes,
    sessionToken: () => web.sessionToken(),
    mintSession: () => web.mintSession(),
  });
  registerTerminalRoutes(app, {
    allowedHosts: () => web.allowedHosts(),
    sessionToken: () => web.sessionToken(),
    tickets: web.terminalTickets,
    terminals: new TerminalService(ctx.vms),
    logger: ctx.logger,
  });
  registerPortsRoute(app, ctx);
  return app;
}

/**
 * The route modules of the shared table (src/api/routes.ts), registered on
 * `app`; `include` leaves out routes this instance must not have.
 */
function registerApiRoutes(
  app: FastifyInstance,
  ctx: DaemonContext,
  web: WebUi,
  include: (route: Route) => boolean = () => true,
): void {
  registerSystemRoutes(app, ctx, { web, include });
  registerVmRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerImageRoutes(app, ctx);
  registerEventRoutes(app, ctx);
}

/**
 * A Fastify instance with the daemon's logging and its one error mapping:
 * errors become HTTP status and body from AppError codes here and nowhere else.
 */
function createApp(
  ctx: DaemonContext,
  options: {
    forceCloseConnections: boolean | 'idle';
    /** Answers what Fastify refuses before any hook (a malformed URL); its default echoes the path. */
    frameworkErrors?: (error: Error, request: FastifyRequest, reply: FastifyReply) => void;
  },
): FastifyInstance {
  const logger: FastifyBaseLogger = ctx.logger;
  // Per-request info lines would drown the log; failures are logged by the error handler.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: options.forceCloseConnections,
    ...(options.frameworkErrors ? { frameworkErrors: options.frameworkErrors } : {}),
  });

  app.setErrorHandler((err, request, reply) => {
    const appError = toHttpError(err);
    // Never the query string: it can carry a login code or an attach token.
    const path = request.url.split('?')[0];
    if (appError.code === 'internal') ctx.logger.error({ err, path }, 'request failed');
    else ctx.logger.debug({ code: appError.code, msg: appError.message, path }, 'request refused');
    const body: ErrorBody = { error: { code: appError.code, message: appError.message } };
    return reply.status(appError.httpStatus).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      error: {
        code: 'not_found',
        message: `no such API route ${request.method} ${request.url.split('?')[0]}; is the CLI newer than the daemon?`,
      },
    };
    return reply.status(404).send(body);
  });
  return app;
}

function toHttpError(err: unknown): AppError {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return new AppError('invalid_argument', `${where}${issue?.message ?? 'invalid request'}`);
  }
  // Fastify's own errors (bad JSON, body too large) carry a 4xx statusCode.
  const status = (err as { statusCode?: number }).statusCode;
  if (!(err instanceof AppError) && status !== undefined && status >= 400 && status < 500) {
    return new AppError('invalid_argument', (err as Error).message);
  }
  return toAppError(err);
}
