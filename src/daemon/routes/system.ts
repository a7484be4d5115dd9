import type { FastifyInstance } from 'fastify';
import { routes } from '../../api/routes.js';
import type { DaemonStatus, DoctorReport } from '../../api/schemas.js';
import { VERSION } from '../../domain/version.js';
import type { DaemonContext } from '../context.js';
import { runChecks } from '../services/doctor/registry.js';
import { on } from './on.js';

/** Daemon status, shutdown and the doctor report. */
export function registerSystemRoutes(app: FastifyInstance, ctx: DaemonContext): void {
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
      startedAt: ctx.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
    }),
  );

  on(app, routes.stopDaemon, async (_request, reply) => {
    // Answer first, then shut down: the caller waits for the socket to go away.
    reply.raw.once('finish', () => ctx.requestShutdown());
    return { ok: true };
  });

  on(app, routes.doctor, async (): Promise<DoctorReport> => {
    const checks = await runChecks(ctx.doctorChecks, ctx);
    return { ok: checks.every((c) => c.status !== 'fail'), checks };
  });
}
