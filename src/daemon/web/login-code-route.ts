import type { FastifyInstance } from 'fastify';
import { routes } from '../../api/routes.js';
import type { WebLoginResponse } from '../../api/schemas.js';
import { on } from '../routes/on.js';
import type { WebUi } from './web-ui.js';

/**
 * `POST /v1/web/login`: a one-time link that logs a browser into the web
 * UI. Registered on the Unix socket only: whoever can use the socket owns
 * the daemon anyway, while the web listener must never hand out logins.
 */
export function registerWebLoginRoute(app: FastifyInstance, web: WebUi): void {
  on(app, routes.webLogin, async (): Promise<WebLoginResponse> => ({ url: web.mintLoginUrl() }));
}
