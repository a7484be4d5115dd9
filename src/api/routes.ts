/**
 * Every route of bangerd's API, declared once: the daemon registers its
 * handlers from this table and the typed client builds its requests from it,
 * so a path or method cannot drift between the two. `:name` segments are
 * parameters, filled (URL-encoded) by `routePath`.
 */

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Route {
  readonly method: Method;
  readonly path: string;
}

const route = (method: Method, path: string): Route => ({ method, path });

export const routes = {
  status: route('GET', '/v1/status'),
  stopDaemon: route('POST', '/v1/daemon/stop'),
  doctor: route('GET', '/v1/doctor'),
  events: route('GET', '/v1/events'),
  /** Mints a one-time web UI login link; on the Unix socket only, never on the web listener. */
  webLogin: route('POST', '/v1/web/login'),

  listVms: route('GET', '/v1/vms'),
  createVm: route('POST', '/v1/vms'),
  showVm: route('GET', '/v1/vms/:ref'),
  startVm: route('POST', '/v1/vms/:ref/start'),
  restartVm: route('POST', '/v1/vms/:ref/restart'),
  stopVm: route('POST', '/v1/vms/:ref/stop'),
  killVm: route('POST', '/v1/vms/:ref/kill'),
  deleteVm: route('DELETE', '/v1/vms/:ref'),
  setVm: route('PATCH', '/v1/vms/:ref'),
  vmSsh: route('GET', '/v1/vms/:ref/ssh'),
  vmStats: route('GET', '/v1/vms/:ref/stats'),
  vmLogs: route('GET', '/v1/vms/:ref/logs'),

  listSessions: route('GET', '/v1/vms/:ref/sessions'),
  startSession: route('POST', '/v1/vms/:ref/sessions'),
  showSession: route('GET', '/v1/vms/:ref/sessions/:name'),
  sessionLogs: route('GET', '/v1/vms/:ref/sessions/:name/logs'),
  stopSession: route('POST', '/v1/vms/:ref/sessions/:name/stop'),
  killSession: route('POST', '/v1/vms/:ref/sessions/:name/kill'),
  sessionInput: route('POST', '/v1/vms/:ref/sessions/:name/input'),
  attachSession: route('POST', '/v1/vms/:ref/sessions/:name/attach'),
  detachSession: route('POST', '/v1/vms/:ref/sessions/:name/detach'),

  createSnapshot: route('POST', '/v1/vms/:ref/snapshots'),
  /** `:ref` is a running VM or a snapshot name. */
  forkVm: route('POST', '/v1/vms/:ref/fork'),
  listSnapshots: route('GET', '/v1/snapshots'),
  showSnapshot: route('GET', '/v1/snapshots/:name'),
  deleteSnapshot: route('DELETE', '/v1/snapshots/:name'),

  listImages: route('GET', '/v1/images'),
  availableImages: route('GET', '/v1/images/available'),
  showImage: route('GET', '/v1/images/:name'),
  registerImage: route('POST', '/v1/images/register'),
  pullImage: route('POST', '/v1/images/pull'),
  buildImage: route('POST', '/v1/images/build'),
  promoteImage: route('POST', '/v1/images/:name/promote'),
  deleteImage: route('DELETE', '/v1/images/:name'),

  listKernels: route('GET', '/v1/kernels'),
  availableKernels: route('GET', '/v1/kernels/available'),
  showKernel: route('GET', '/v1/kernels/:name'),
  pullKernel: route('POST', '/v1/kernels/:name/pull'),
  deleteKernel: route('DELETE', '/v1/kernels/:name'),
} as const;

/**
 * Routes the web listener does not have: stopping the daemon and minting
 * web logins are for the socket's owner only (docs/web-ui.md).
 */
export const socketOnlyRoutes: readonly Route[] = [routes.stopDaemon, routes.webLogin];

/** The request path of `r` with each `:name` replaced by `params[name]`, URL-encoded; a missing one throws. */
export function routePath(r: Route, params: Record<string, string> = {}): string {
  return r.path.replace(/:([a-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${r.method} ${r.path} needs :${name}`);
    return encodeURIComponent(value);
  });
}
