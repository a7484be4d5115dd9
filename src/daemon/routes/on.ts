import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { Route } from '../../api/routes.js';

/** Registers `handler` for a route of the shared table (src/api/routes.ts), so paths are written once. */
export function on(app: FastifyInstance, route: Route, handler: RouteHandlerMethod): void {
  app.route({ method: route.method, url: route.path, handler });
}
