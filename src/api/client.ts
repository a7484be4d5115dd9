import { Agent, buildConnector, request } from 'undici';
import type { z } from 'zod';
import { AppError } from '../domain/errors.js';
import { type DaemonEvent, daemonEvent } from './events.js';
import {
  availableImages,
  availableKernels,
  type BuildImageRequest,
  imageDetail,
  imageInfo,
  imageList,
  kernelInfo,
  kernelList,
  type PullImageRequest,
  type RegisterImageRequest,
} from './images.js';
import { type ProgressEvent, readLines, readProgressEvents, type StageEvent } from './progress.js';
import { type Method, type Route, routePath, routes } from './routes.js';
import { daemonStatus, doctorReport, errorBody, okResponse } from './schemas.js';
import {
  type CreateVmRequest,
  createVmResult,
  deleteVmResult,
  type SetVmRequest,
  vmList,
  vmResult,
  vmSshInfo,
  vmStats,
} from './vms.js';

/** Receives the progress events of a long operation. */
export type OnStage = (event: StageEvent | Extract<ProgressEvent, { type: 'log' }>) => void;

export interface ClientOptions {
  /**
   * Runs before each connection to the socket; throwing refuses the
   * connection (nothing is sent) and the request fails with that error.
   */
  beforeConnect?: () => void;
}

/**
 * The typed client every UI uses to talk to bangerd over its Unix socket.
 * Failures come back as AppError with the daemon's code and message; a
 * daemon that cannot be reached is AppError('daemon_unavailable').
 */
export class BangerClient {
  private readonly agent: Agent;

  constructor(
    readonly socketPath: string,
    options: ClientOptions = {},
  ) {
    const connectSocket = buildConnector({ socketPath });
    const { beforeConnect } = options;
    this.agent = new Agent({
      // Checked on every new connection, not once: a connection is where a request's bytes go.
      connect: (opts, callback) => {
        try {
          beforeConnect?.();
        } catch (err) {
          callback(err instanceof Error ? err : new Error(String(err)), null);
          return;
        }
        connectSocket(opts, callback);
      },
      keepAliveTimeout: 1000,
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  status() {
    return this.call(routes.status, {}, daemonStatus);
  }

  stopDaemon() {
    return this.call(routes.stopDaemon, {}, okResponse);
  }

  doctor() {
    return this.call(routes.doctor, {}, doctorReport);
  }

  listVms() {
    return this.call(routes.listVms, {}, vmList);
  }

  showVm(ref: string) {
    return this.call(routes.showVm, { ref }, vmResult);
  }

  createVm(req: CreateVmRequest, onStage: OnStage, signal?: AbortSignal) {
    return this.stream(routes.createVm, {}, createVmResult, req, onStage, signal);
  }

  startVm(ref: string, opts: { wait?: boolean }, onStage: OnStage) {
    return this.stream(routes.startVm, { ref }, vmResult, opts, onStage);
  }

  restartVm(ref: string, opts: { wait?: boolean }, onStage: OnStage) {
    return this.stream(routes.restartVm, { ref }, vmResult, opts, onStage);
  }

  stopVm(ref: string) {
    return this.call(routes.stopVm, { ref }, vmResult, {});
  }

  killVm(ref: string, signal?: string) {
    return this.call(routes.killVm, { ref }, vmResult, signal === undefined ? {} : { signal });
  }

  deleteVm(ref: string) {
    return this.call(routes.deleteVm, { ref }, deleteVmResult);
  }

  setVm(ref: string, req: SetVmRequest) {
    return this.call(routes.setVm, { ref }, vmResult, req);
  }

  vmSsh(ref: string) {
    return this.call(routes.vmSsh, { ref }, vmSshInfo);
  }

  vmStats(ref: string) {
    return this.call(routes.vmStats, { ref }, vmStats);
  }

  /** The VM's console (or Firecracker) log as raw chunks; with `follow`, until the VM stops or the caller breaks. */
  async *vmLogs(
    ref: string,
    o: { source?: 'console' | 'firecracker'; follow?: boolean; tail?: number } = {},
  ): AsyncGenerator<Buffer> {
    const query = new URLSearchParams({ source: o.source ?? 'console', follow: o.follow ? '1' : '0' });
    if (o.tail !== undefined) query.set('tail', String(o.tail));
    const res = await this.send('GET', `${routePath(routes.vmLogs, { ref })}?${query}`, undefined);
    if (res.statusCode >= 400) throw errorFromBody(await res.body.json(), res.statusCode);
    for await (const chunk of res.body) yield Buffer.from(chunk as Uint8Array);
  }

  /** The daemon's event stream (see events.ts): a snapshot, then each VM change, until `signal` aborts. */
  async *events(signal?: AbortSignal): AsyncGenerator<DaemonEvent> {
    const res = await this.send(routes.events.method, routePath(routes.events), undefined, signal);
    if (res.statusCode >= 400) throw errorFromBody(await res.body.json(), res.statusCode);
    const closed = (cause?: unknown) =>
      new AppError(
        'daemon_unavailable',
        'the daemon ended the event stream (it stopped or restarted); see `banger daemon status`',
        cause === undefined ? undefined : { cause },
      );
    try {
      for await (const line of readLines(res.body)) yield daemonEvent.parse(JSON.parse(line));
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof AppError || (err as Error).name === 'ZodError') throw err;
      throw closed(err);
    }
    if (!signal?.aborted) throw closed();
  }

  listImages() {
    return this.call(routes.listImages, {}, imageList);
  }

  showImage(name: string) {
    return this.call(routes.showImage, { name }, imageDetail);
  }

  registerImage(request: RegisterImageRequest) {
    return this.call(routes.registerImage, {}, imageInfo, request);
  }

  pullImage(request: PullImageRequest, onStage: OnStage) {
    return this.stream(routes.pullImage, {}, imageInfo, request, onStage);
  }

  buildImage(request: BuildImageRequest, onStage: OnStage) {
    return this.stream(routes.buildImage, {}, imageInfo, request, onStage);
  }

  promoteImage(name: string, onStage: OnStage) {
    return this.stream(routes.promoteImage, { name }, imageInfo, {}, onStage);
  }

  deleteImage(name: string) {
    return this.call(routes.deleteImage, { name }, okResponse);
  }

  listKernels() {
    return this.call(routes.listKernels, {}, kernelList);
  }

  availableImages() {
    return this.call(routes.availableImages, {}, availableImages);
  }

  availableKernels() {
    return this.call(routes.availableKernels, {}, availableKernels);
  }

  showKernel(name: string) {
    return this.call(routes.showKernel, { name }, kernelInfo);
  }

  pullKernel(name: string, onStage: OnStage) {
    return this.stream(routes.pullKernel, { name }, kernelInfo, {}, onStage);
  }

  deleteKernel(name: string) {
    return this.call(routes.deleteKernel, { name }, okResponse);
  }

  /** Sends one request and parses the JSON answer with `schema`. */
  async call<T extends z.ZodType>(
    route: Route,
    params: Record<string, string>,
    schema: T,
    body?: unknown,
  ): Promise<z.infer<T>> {
    const res = await this.send(route.method, routePath(route, params), body);
    const text = await res.body.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (res.statusCode >= 400) throw errorFromBody(json, res.statusCode);
    return schema.parse(json);
  }

  /**
   * Runs a long operation: calls `onStage` for each progress event and
   * resolves with the final result parsed by `schema`.
   */
  async stream<T extends z.ZodType>(
    route: Route,
    params: Record<string, string>,
    schema: T,
    body: unknown,
    onStage: OnStage,
    signal?: AbortSignal,
  ): Promise<z.infer<T>> {
    const res = await this.send(route.method, routePath(route, params), body, signal);
    if (res.statusCode >= 400) throw errorFromBody(await res.body.json(), res.statusCode);
    const closed = (cause?: unknown) =>
      new AppError(
        'daemon_unavailable',
        'the daemon closed the stream before finishing; see `banger daemon status` for its log',
        cause === undefined ? undefined : { cause },
      );
    try {
      for await (const event of readProgressEvents(res.body)) {
        if (event.type === 'done') return schema.parse(event.result);
        if (event.type === 'error') throw new AppError(event.error.code, event.error.message);
        onStage(event);
      }
    } catch (err) {
      // Closing the request is how a caller cancels: the daemon aborts the operation and undoes it.
      if (signal?.aborted) throw new AppError('cancelled', 'cancelled');
      // A daemon that dies mid-stream resets the connection: that is the daemon going away, not a bug.
      if (err instanceof AppError || (err as Error).name === 'ZodError') throw err;
      throw closed(err);
    }
    throw closed();
  }

  private async send(method: Method, path: string, body: unknown, signal?: AbortSignal) {
    try {
      return await request(`http://banger${path}`, {
        method,
        dispatcher: this.agent,
        ...(signal ? { signal } : {}),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (err instanceof AppError) throw err; // refused by beforeConnect
      const code = (err as NodeJS.ErrnoException).code;
      throw new AppError(
        'daemon_unavailable',
        `cannot reach bangerd at ${this.socketPath} (${code ?? String(err)})`,
        {
          cause: err,
        },
      );
    }
  }
}

function errorFromBody(json: unknown, status: number): AppError {
  const parsed = errorBody.safeParse(json);
  if (parsed.success) return new AppError(parsed.data.error.code, parsed.data.error.message);
  return new AppError('internal', `daemon answered HTTP ${status} without an error body`);
}
