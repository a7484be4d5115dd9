import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { routes } from '../../api/routes.js';
import {
  detachSessionRequest,
  killSessionRequest,
  sessionInputRequest,
  sessionLogsQuery,
  startSessionRequest,
  stopSessionRequest,
} from '../../api/sessions.js';
import type { DaemonContext } from '../context.js';
import { on } from './on.js';

const refParams = z.object({ ref: z.string().min(1) });
const sessionParams = z.object({ ref: z.string().min(1), name: z.string().min(1) });
const ok = { ok: true as const };

/** Sessions of a running VM (src/daemon/services/vm/sessions.ts): relayed to its guest agent. */
export function registerSessionRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const sessions = () => ctx.vms.sessions;

  on(app, routes.listSessions, async (request) => ({
    sessions: await sessions().list(refParams.parse(request.params).ref),
  }));

  on(app, routes.startSession, async (request) => ({
    session: await sessions().start(
      refParams.parse(request.params).ref,
      startSessionRequest.parse(request.body ?? {}),
    ),
  }));

  on(app, routes.showSession, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    return { session: await sessions().show(ref, name) };
  });

  on(app, routes.sessionLogs, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    return sessions().logs(ref, name, sessionLogsQuery.parse(request.query ?? {}));
  });

  on(app, routes.stopSession, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    await sessions().stop(ref, name, stopSessionRequest.parse(request.body ?? {}).graceMs);
    return ok;
  });

  on(app, routes.killSession, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    await sessions().kill(ref, name, killSessionRequest.parse(request.body ?? {}).signal);
    return ok;
  });

  on(app, routes.attachSession, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    return sessions().attach(ref, name);
  });

  on(app, routes.detachSession, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    sessions().detach(ref, name, detachSessionRequest.parse(request.body ?? {}).token);
    return ok;
  });

  on(app, routes.sessionInput, async (request) => {
    const { ref, name } = sessionParams.parse(request.params);
    await sessions().input(ref, name, sessionInputRequest.parse(request.body ?? {}));
    return ok;
  });
}
