import type { FastifyInstance } from 'fastify';
import { type Route, routes } from '../../api/routes.js';
import type { DaemonStatus, DoctorReport } from '../../api/schemas.js';
import { VERSION } from '../../domain/version.js';
import type { DaemonContext } from '../context.js';
import { runChecks } from '../services/doctor/registry.js';
import type { WebUi } from '../web/web-ui.js';
import { on } from './on.js';

export interface SystemRouteOptions {
  /** The web listener, for its address in the status. */
  web: Pick<WebUi, 'baseUrl' | 'error'>;
  /** False for routes this instance must not serve (the web listener has no daemon stop). */
  include: (route: Route) => boolean;
}

/** Daemon status, shutdown and the doctor report. */
export function registerSystemRoutes(
  app: FastifyInstance,
  ctx: DaemonContext,
  options: SystemRouteOptions,
): void {
  on(
    app,
    routes.status,
    async (): Promise<DaemonStatus> => ({
      pid: process.pid,
      version: VERSION,
      socket: ctx.paths.socket,
      logPath: ctx.paths.daemonLog,
      stateDir: ctx.paths.stateDir,
      dnsListenAddr: ctx.dns.listening.join(', ') || `unavailable (${ctx.dns.error ?? 'not started'})`,
      webUrl: options.web.baseUrl(),
      webError: options.web.error(),
      startedAt: ctx.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
    }),
  );

  if (options.include(routes.stopDaemon)) {
    on(app, routes.stopDaemon, async (_request, reply) => {
      // Answer first, then shut down: the caller waits for the socket to go away.
      reply.raw.once('finish', () => ctx.requestShutdown());
      return { ok: true };
    });
  }

  on(app, routes.doctor, async (): Promise<DoctorReport> => {
    const checks = await runChecks(ctx.doctorChecks, ctx);
    return { ok: checks.every((c) => c.status !== 'fail'), checks };
  });
}
