import type { DaemonEvent } from '../api/events.js';
import type {
  AvailableImages,
  AvailableKernels,
  ImageDetail,
  ImageInfo,
  ImageList,
  KernelInfo,
  KernelList,
  PullImageRequest,
} from '../api/images.js';
import { type ProgressEvent, readLines, readProgressEvents } from '../api/progress.js';
import { type Route, routePath, routes } from '../api/routes.js';
import type { DaemonStatus, DoctorReport, OkResponse } from '../api/schemas.js';
import type {
  CreateVmRequest,
  CreateVmResult,
  DeleteVmResult,
  SetVmRequest,
  VmList,
  VmResult,
  VmStatsView,
} from '../api/vms.js';
import { chunksOf } from './http-stream.js';
import { sessionSecret } from './session.js';

/**
 * The browser's client of bangerd: the same routes as the CLI's (built from
 * src/api/routes.ts), over fetch to the page's own origin, where the daemon's
 * web listener serves the API behind the session cookie plus the per-login
 * secret (session.ts), sent as a Bearer header on every request, streams
 * included. Every failure is an ApiError whose message is one line fit for
 * the page.
 */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a 401 (or no session secret in this tab) means here: only a new login helps. */
const SESSION_EXPIRED = 'session expired: run `banger web` again';

/** A progress stage or log line of a long operation (create, start, pulls). */
export type StageLine = Exclude<ProgressEvent, { type: 'done' } | { type: 'error' }>;
export type OnStage = (event: StageLine) => void;

interface SendOptions {
  body?: unknown;
  query?: Record<string, string>;
  signal?: AbortSignal;
}

async function send(route: Route, params: Record<string, string>, o: SendOptions = {}): Promise<Response> {
  const query = o.query ? `?${new URLSearchParams(o.query)}` : '';
  const secret = sessionSecret();
  if (secret === undefined) throw new ApiError('unauthorized', SESSION_EXPIRED);
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  // Only with a body: the daemon refuses an empty body declared as JSON.
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(routePath(route, params) + query, {
      method: route.method,
      headers,
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
      ...(o.signal ? { signal: o.signal } : {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    throw new ApiError('daemon_unavailable', 'cannot reach bangerd; `banger daemon status` starts it');
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** The daemon's `{error: {code, message}}` as one line; a bare status otherwise. */
async function errorOf(res: Response): Promise<ApiError> {
  if (res.status === 401) return new ApiError('unauthorized', SESSION_EXPIRED);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    json = undefined;
  }
  // Any `{error: {code, message}}`: the web listener's own refusals (forbidden, misdirected) too.
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.message === 'string') {
    return new ApiError(typeof error.code === 'string' ? error.code : 'internal', firstLine(error.message));
  }
  return new ApiError('internal', `the daemon answered HTTP ${res.status}`);
}

const firstLine = (text: string) => (text.split('\n')[0] ?? '').trim() || 'unknown error';

/** A one-line message for anything thrown. */
export function messageOf(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}

async function call<T>(route: Route, params: Record<string, string> = {}, body?: unknown): Promise<T> {
  const res = await send(route, params, body === undefined ? {} : { body });
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs a long operation: each stage goes to `onStage`; resolves with the `done` result. */
async function stream<T>(
  route: Route,
  params: Record<string, string>,
  body: unknown,
  onStage: OnStage,
  signal?: AbortSignal,
): Promise<T> {
  const res = await send(route, params, { body, ...(signal ? { signal } : {}) });
  for await (const event of readProgressEvents(chunksOf(res.body))) {
    if (event.type === 'done') return event.result as T;
    if (event.type === 'error') throw new ApiError(event.error.code, firstLine(event.error.message));
    onStage(event);
  }
  throw new ApiError('daemon_unavailable', 'the daemon closed the stream before finishing');
}

/** `GET /v1/events` until `signal` aborts; throws when the stream ends or breaks (the daemon went away). */
async function* events(signal: AbortSignal): AsyncGenerator<DaemonEvent> {
  const res = await send(routes.events, {}, { signal });
  for await (const line of readLines(chunksOf(res.body))) yield JSON.parse(line) as DaemonEvent;
  throw new ApiError('daemon_unavailable', 'the daemon ended the event stream (it stopped or restarted)');
}

/** The last `tailBytes` of a VM's serial console. */
async function consoleTail(ref: string, tailBytes: number, signal?: AbortSignal): Promise<string> {
  const query = { source: 'console', follow: '0', tail: String(tailBytes) };
  const res = await send(routes.vmLogs, { ref }, { query, ...(signal ? { signal } : {}) });
  return res.text();
}

/** The web listener's own routes (src/daemon/web/), not on the Unix socket. */
const terminalTicketRoute: Route = { method: 'POST', path: '/v1/web/terminal-ticket' };
const vmPortsRoute: Route = { method: 'GET', path: '/v1/web/vms/:ref/ports' };

/** A listening socket in the guest, as `banger vm ports --json` prints it. */
export interface GuestPortView {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
  processes: { name: string; pid: number }[];
  /** False when bound to loopback only. */
  reachable: boolean;
  /** `<vm>.vm:<port>`. */
  url: string;
}

/** A VM's ports, and whether `<vm>.vm` resolves on the host (doctor's dns-routing check). */
export interface VmPorts {
  ports: GuestPortView[];
  dnsRouting: { ok: boolean; fix?: string };
}

export const api = {
  events,
  terminalTicket: (vm: string) => call<{ ticket: string }>(terminalTicketRoute, {}, { vm }),
  vmPorts: (ref: string) => call<VmPorts>(vmPortsRoute, { ref }),
  status: () => call<DaemonStatus>(routes.status),
  doctor: () => call<DoctorReport>(routes.doctor),

  showVm: (ref: string) => call<VmResult>(routes.showVm, { ref }),
  vmStats: (ref: string) => call<VmStatsView>(routes.vmStats, { ref }),
  consoleTail,
  listVms: () => call<VmList>(routes.listVms),
  createVm: (req: CreateVmRequest, onStage: OnStage, signal?: AbortSignal) =>
    stream<CreateVmResult>(routes.createVm, {}, req, onStage, signal),
  startVm: (ref: string, onStage: OnStage, signal?: AbortSignal) =>
    stream<VmResult>(routes.startVm, { ref }, {}, onStage, signal),
  restartVm: (ref: string, onStage: OnStage, signal?: AbortSignal) =>
    stream<VmResult>(routes.restartVm, { ref }, {}, onStage, signal),
  stopVm: (ref: string) => call<VmResult>(routes.stopVm, { ref }, {}),
  deleteVm: (ref: string) => call<DeleteVmResult>(routes.deleteVm, { ref }),
  setVm: (ref: string, req: SetVmRequest) => call<VmResult>(routes.setVm, { ref }, req),

  listImages: () => call<ImageList>(routes.listImages),
  showImage: (name: string) => call<ImageDetail>(routes.showImage, { name }),
  availableImages: () => call<AvailableImages>(routes.availableImages),
  pullImage: (req: PullImageRequest, onStage: OnStage, signal?: AbortSignal) =>
    stream<ImageInfo>(routes.pullImage, {}, req, onStage, signal),
  deleteImage: (name: string) => call<OkResponse>(routes.deleteImage, { name }),

  listKernels: () => call<KernelList>(routes.listKernels),
  showKernel: (name: string) => call<KernelInfo>(routes.showKernel, { name }),
  availableKernels: () => call<AvailableKernels>(routes.availableKernels),
  pullKernel: (name: string, onStage: OnStage, signal?: AbortSignal) =>
    stream<KernelInfo>(routes.pullKernel, { name }, {}, onStage, signal),
  deleteKernel: (name: string) => call<OkResponse>(routes.deleteKernel, { name }),
};
