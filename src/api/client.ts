import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { AppError } from '../domain/errors.js';
import type { DaemonEvent } from './events.js';
import type {
  AvailableImages,
  AvailableKernels,
  BuildImageRequest,
  ImageDetail,
  ImageInfo,
  ImageList,
  KernelInfo,
  KernelList,
  PullImageRequest,
  RegisterImageRequest,
} from './images.js';
import {
  asErrorBody,
  type ProgressEvent,
  readLines,
  readProgressEvents,
  type StageEvent,
} from './progress.js';
import { type Method, type Route, routePath, routes } from './routes.js';
import type { DaemonStatus, DoctorReport, OkResponse, WebLoginResponse } from './schemas.js';
import type { SessionList, SessionLogChunk, SessionView, StartSessionRequest } from './sessions.js';
import type { CreateSnapshotRequest, ForkVmRequest, SnapshotList, SnapshotResult } from './snapshots.js';
import type {
  CreateVmRequest,
  CreateVmResult,
  DeleteVmResult,
  SetVmRequest,
  VmList,
  VmResult,
  VmSshInfo,
  VmStatsView,
} from './vms.js';

/** Receives the progress events of a long operation. */
export type OnStage = (event: StageEvent | Extract<ProgressEvent, { type: 'log' }>) => void;

export interface ClientOptions {
  /**
   * Runs before each connection to the socket; throwing refuses the
   * connection (nothing is sent) and the request fails with that error.
   */
  beforeConnect?: () => void;
  /**
   * Runs when a connection cannot be made at all (no socket, or nothing
   * listening: nothing of the request was sent) before any request of this
   * client has reached the daemon, e.g. to start it; the request is then
   * tried once more. A rejection fails the request. Once the daemon has
   * answered, a daemon that goes away is reported, not started again (a UI
   * open while the user stops the daemon must not bring it back).
   */
  onUnreachable?: () => Promise<void>;
}

/**
 * The typed client every UI uses to talk to bangerd over its Unix socket.
 * Failures come back as AppError with the daemon's code and message; a
 * daemon that cannot be reached is AppError('daemon_unavailable').
 *
 * It speaks HTTP with node:http and takes the daemon's answers as typed by
 * the contract without parsing them again with zod: the daemon builds them
 * from the same types, and loading zod (or undici) would be most of a CLI
 * command's start-up. Progress streams and error bodies are checked by hand.
 */
export class BangerClient {
  private readonly beforeConnect: (() => void) | undefined;
  private readonly onUnreachable: (() => Promise<void>) | undefined;
  /** A connection has been made: onUnreachable no longer applies. */
  private reached = false;

  constructor(
    readonly socketPath: string,
    options: ClientOptions = {},
  ) {
    this.beforeConnect = options.beforeConnect;
    this.onUnreachable = options.onUnreachable;
  }

  /** Nothing to release: each request has its own connection (so each is checked by beforeConnect). */
  async close(): Promise<void> {}

  status() {
    return this.call<DaemonStatus>(routes.status, {});
  }

  stopDaemon() {
    return this.call<OkResponse>(routes.stopDaemon, {});
  }

  doctor() {
    return this.call<DoctorReport>(routes.doctor, {});
  }

  /** A one-time link that logs a browser into the web UI; fails with a clear error when the UI is off. */
  webLogin() {
    return this.call<WebLoginResponse>(routes.webLogin, {}, {});
  }

  /** `all`: the warm pool's VMs too. */
  listVms(opts: { all?: boolean } = {}) {
    return this.call<VmList>(routes.listVms, {}, undefined, opts.all ? 'all=1' : undefined);
  }

  createSnapshot(ref: string, req: CreateSnapshotRequest, onStage: OnStage, signal?: AbortSignal) {
    return this.stream<SnapshotResult>(routes.createSnapshot, { ref }, req, onStage, signal);
  }

  forkVm(source: string, req: ForkVmRequest, onStage: OnStage, signal?: AbortSignal) {
    return this.stream<VmResult>(routes.forkVm, { ref: source }, req, onStage, signal);
  }

  listSnapshots() {
    return this.call<SnapshotList>(routes.listSnapshots, {});
  }

  showSnapshot(name: string) {
    return this.call<SnapshotResult>(routes.showSnapshot, { name });
  }

  deleteSnapshot(name: string) {
    return this.call<{ name: string }>(routes.deleteSnapshot, { name });
  }

  showVm(ref: string) {
    return this.call<VmResult>(routes.showVm, { ref });
  }

  createVm(req: CreateVmRequest, onStage: OnStage, signal?: AbortSignal) {
    return this.stream<CreateVmResult>(routes.createVm, {}, req, onStage, signal);
  }

  startVm(ref: string, opts: { wait?: boolean }, onStage: OnStage) {
    return this.stream<VmResult>(routes.startVm, { ref }, opts, onStage);
  }

  restartVm(ref: string, opts: { wait?: boolean }, onStage: OnStage) {
    return this.stream<VmResult>(routes.restartVm, { ref }, opts, onStage);
  }

  stopVm(ref: string) {
    return this.call<VmResult>(routes.stopVm, { ref }, {});
  }

  killVm(ref: string, signal?: string) {
    return this.call<VmResult>(routes.killVm, { ref }, signal === undefined ? {} : { signal });
  }

  deleteVm(ref: string) {
    return this.call<DeleteVmResult>(routes.deleteVm, { ref });
  }

  setVm(ref: string, req: SetVmRequest) {
    return this.call<VmResult>(routes.setVm, { ref }, req);
  }

  vmSsh(ref: string) {
    return this.call<VmSshInfo>(routes.vmSsh, { ref });
  }

  vmStats(ref: string) {
    return this.call<VmStatsView>(routes.vmStats, { ref });
  }

  listSessions(ref: string) {
    return this.call<SessionList>(routes.listSessions, { ref });
  }

  startSession(ref: string, req: StartSessionRequest) {
    return this.call<{ session: SessionView }>(routes.startSession, { ref }, req);
  }

  showSession(ref: string, name: string) {
    return this.call<{ session: SessionView }>(routes.showSession, { ref, name });
  }

  /** One chunk of a session's stdout or stderr from `offset` (base64 `data`; `next` is where to go on). */
  async sessionLogs(
    ref: string,
    name: string,
    q: { stream: 'stdout' | 'stderr'; offset: number; token?: string },
  ) {
    const query = new URLSearchParams({ stream: q.stream, offset: String(q.offset) });
    if (q.token !== undefined) query.set('token', q.token);
    const res = await this.send('GET', `${routePath(routes.sessionLogs, { ref, name })}?${query}`, undefined);
    await throwIfError(res);
    return JSON.parse(await readText(res)) as SessionLogChunk;
  }

  stopSession(ref: string, name: string, graceMs?: number) {
    return this.call<OkResponse>(routes.stopSession, { ref, name }, graceMs === undefined ? {} : { graceMs });
  }

  killSession(ref: string, name: string, signal?: string) {
    return this.call<OkResponse>(routes.killSession, { ref, name }, signal === undefined ? {} : { signal });
  }

  sessionInput(ref: string, name: string, input: { data?: string; close?: boolean; token?: string }) {
    return this.call<OkResponse>(routes.sessionInput, { ref, name }, input);
  }

  /** Takes the session's attach lease (one terminal at a time); keep it by passing the token to logs and input. */
  attachSession(ref: string, name: string) {
    return this.call<{ token: string }>(routes.attachSession, { ref, name }, {});
  }

  detachSession(ref: string, name: string, token: string) {
    return this.call<OkResponse>(routes.detachSession, { ref, name }, { token });
  }

  /** The VM's console (or Firecracker) log as raw chunks; with `follow`, until the VM stops or the caller breaks. */
  async *vmLogs(
    ref: string,
    o: { source?: 'console' | 'firecracker'; follow?: boolean; tail?: number } = {},
  ): AsyncGenerator<Buffer> {
    const query = new URLSearchParams({ source: o.source ?? 'console', follow: o.follow ? '1' : '0' });
    if (o.tail !== undefined) query.set('tail', String(o.tail));
    const res = await this.send('GET', `${routePath(routes.vmLogs, { ref })}?${query}`, undefined);
    await throwIfError(res);
    for await (const chunk of res) yield chunk as Buffer;
  }

  /** The daemon's event stream (see events.ts): a snapshot, then each VM change, until `signal` aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<DaemonEvent> {
    const res = await this.send(routes.events.method, routePath(routes.events), undefined, signal);
    await throwIfError(res);
    const closed = (cause?: unknown) =>
      new AppError(
        'daemon_unavailable',
        'the daemon ended the event stream (it stopped or restarted); see `banger daemon status`',
        cause === undefined ? undefined : { cause },
      );
    try {
      for await (const line of readLines(res)) yield JSON.parse(line) as DaemonEvent;
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof AppError) throw err;
      throw closed(err);
    }
    if (!signal?.aborted) throw closed();
  }

  listImages() {
    return this.call<ImageList>(routes.listImages, {});
  }

  showImage(name: string) {
    return this.call<ImageDetail>(routes.showImage, { name });
  }

  registerImage(request: RegisterImageRequest) {
    return this.call<ImageInfo>(routes.registerImage, {}, request);
  }

  pullImage(request: PullImageRequest, onStage: OnStage) {
    return this.stream<ImageInfo>(routes.pullImage, {}, request, onStage);
  }

  buildImage(request: BuildImageRequest, onStage: OnStage) {
    return this.stream<ImageInfo>(routes.buildImage, {}, request, onStage);
  }

  promoteImage(name: string, onStage: OnStage) {
    return this.stream<ImageInfo>(routes.promoteImage, { name }, {}, onStage);
  }

  deleteImage(name: string) {
    return this.call<OkResponse>(routes.deleteImage, { name });
  }

  listKernels() {
    return this.call<KernelList>(routes.listKernels, {});
  }

  availableImages() {
    return this.call<AvailableImages>(routes.availableImages, {});
  }

  availableKernels() {
    return this.call<AvailableKernels>(routes.availableKernels, {});
  }

  showKernel(name: string) {
    return this.call<KernelInfo>(routes.showKernel, { name });
  }

  pullKernel(name: string, onStage: OnStage) {
    return this.stream<KernelInfo>(routes.pullKernel, { name }, {}, onStage);
  }

  deleteKernel(name: string) {
    return this.call<OkResponse>(routes.deleteKernel, { name });
  }

  /** Sends one request and returns its JSON answer, typed by the contract. */
  /** `query`: an encoded query string, without the `?`. */
  async call<T>(route: Route, params: Record<string, string>, body?: unknown, query?: string): Promise<T> {
    const path = routePath(route, params);
    const res = await this.send(route.method, query ? `${path}?${query}` : path, body);
    const text = await readText(res);
    const json: unknown = text ? JSON.parse(text) : undefined;
    if ((res.statusCode ?? 500) >= 400) throw errorFromBody(json, res.statusCode ?? 500);
    return json as T;
  }

  /**
   * Runs a long operation: calls `onStage` for each progress event and
   * resolves with the final result.
   */
  async stream<T>(
    route: Route,
    params: Record<string, string>,
    body: unknown,
    onStage: OnStage,
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await this.send(route.method, routePath(route, params), body, signal);
    await throwIfError(res);
    const closed = (cause?: unknown) =>
      new AppError(
        'daemon_unavailable',
        'the daemon closed the stream before finishing; see `banger daemon status` for its log',
        cause === undefined ? undefined : { cause },
      );
    try {
      for await (const event of readProgressEvents(res)) {
        if (event.type === 'done') return event.result as T;
        if (event.type === 'error') throw new AppError(event.error.code, event.error.message);
        onStage(event);
      }
    } catch (err) {
      // Closing the request is how a caller cancels: the daemon aborts the operation and undoes it.
      if (signal?.aborted) throw new AppError('cancelled', 'cancelled');
      // A daemon that dies mid-stream resets the connection: that is the daemon going away, not a bug.
      if (err instanceof AppError) throw err;
      throw closed(err);
    }
    throw closed();
  }

  /** One request on its own connection; resolves when the response headers arrive. */
  private async send(
    method: Method,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    try {
      const res = await this.sendOnce(method, path, body, signal);
      this.reached = true;
      return res;
    } catch (err) {
      if (!this.onUnreachable || this.reached || !neverConnected(err)) throw err;
      await this.onUnreachable();
      const res = await this.sendOnce(method, path, body, signal);
      this.reached = true;
      return res;
    }
  }

  private sendOnce(
    method: Method,
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      try {
        // Checked before every connection, not once: a connection is where a request's bytes go.
        this.beforeConnect?.();
      } catch (err) {
        reject(err);
        return;
      }
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          // A connection of our own instead of `socketPath` (which goes through an http.Agent):
          // the agent works out a TLS server name for every request, and on a CLI's first
          // request that costs about 10 ms (V8 compiling node's IPv6 regular expression).
          createConnection: () => connect(this.socketPath),
          path,
          method,
          headers:
            payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (signal?.aborted) {
          reject(new AppError('cancelled', 'cancelled'));
          return;
        }
        reject(
          new AppError(
            'daemon_unavailable',
            `cannot reach bangerd at ${this.socketPath} (${err.code ?? err.message})`,
            {
              cause: err,
            },
          ),
        );
      });
      req.end(payload);
    });
  }
}

/** A failure to connect at all: the socket is missing or nothing listens on it, so nothing was sent. */
function neverConnected(err: unknown): boolean {
  if (!(err instanceof AppError) || err.code !== 'daemon_unavailable') return false;
  const code = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** For streaming routes: an HTTP error status carries a JSON error body instead of a stream. */
async function throwIfError(res: IncomingMessage): Promise<void> {
  const status = res.statusCode ?? 500;
  if (status < 400) return;
  const text = await readText(res);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  throw errorFromBody(json, status);
}

function errorFromBody(json: unknown, status: number): AppError {
  const error = asErrorBody((json as { error?: unknown } | undefined)?.error);
  if (error) return new AppError(error.code, error.message);
  return new AppError('internal', `daemon answered HTTP ${status} without an error body`);
}
