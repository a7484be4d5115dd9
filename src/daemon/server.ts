import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { ZodError } from 'zod';
import type { ErrorBody } from '../api/schemas.js';
import { AppError, toAppError } from '../domain/errors.js';
import type { DaemonContext } from './context.js';
import { registerEventRoutes } from './routes/events.js';
import { registerImageRoutes } from './routes/images.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerVmRoutes } from './routes/vms.js';

/**
 * Builds the HTTP API. Errors are mapped to HTTP status and body in exactly
 * one place (the error handler below) from AppError codes.
 */
export function buildServer(ctx: DaemonContext): FastifyInstance {
  const logger: FastifyBaseLogger = ctx.logger;
  // Per-request info lines would drown the log; failures are logged by the error handler.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.setErrorHandler((err, request, reply) => {
    const appError = toHttpError(err);
    if (appError.code === 'internal') ctx.logger.error({ err, url: request.url }, 'request failed');
    else
      ctx.logger.debug({ code: appError.code, msg: appError.message, url: request.url }, 'request refused');
    const body: ErrorBody = { error: { code: appError.code, message: appError.message } };
    return reply.status(appError.httpStatus).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      error: {
        code: 'not_found',
        message: `no such API route ${request.method} ${request.url}; is the CLI newer than the daemon?`,
      },
    };
    return reply.status(404).send(body);
  });

  registerSystemRoutes(app, ctx);
  registerVmRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerImageRoutes(app, ctx);
  registerEventRoutes(app, ctx);
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
