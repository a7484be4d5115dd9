// The API server: HTTP/1.1 over a Unix socket, one request at a time (like
// Firecracker's single API thread feeding the VMM), JSON bodies, 400 +
// {"fault_message": ...} for every error.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Fault, msg } from './faults.js';
import type { Logger, Metrics } from './logger.js';
import { routeRequest } from './routes.js';
import type { ApiSpec } from './spec.js';
import type { Reply, Vmm } from './vmm.js';

/** Firecracker's default --http-api-max-payload-size. */
const MAX_PAYLOAD = 51200;

export class ApiSocketInUse extends Error {
  constructor(readonly path: string) {
    super(msg.apiSocketInUse(path));
    this.name = 'ApiSocketInUse';
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.setHeader('Server', 'Firecracker API');
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
    .end(text);
}

const STATUS_TEXT: Record<number, string> = { 200: '200 OK', 204: '204 No Content', 400: '400 Bad Request' };

export class ApiServer {
  private readonly server: Server;
  /** Requests run strictly one after another, in arrival order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: ApiSpec,
    private readonly vmm: Vmm,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.server = createServer((req, res) => {
      this.queue = this.queue.then(() => this.serve(req, res));
    });
    // Firecracker's micro_http keeps connections open; so do we, without timing them out.
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
  }

  /** Binds the socket. Throws ApiSocketInUse when the path exists, as Firecracker refuses to reuse it. */
  async listen(path: string): Promise<void> {
    if (existsSync(path)) throw new ApiSocketInUse(path);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new ApiSocketInUse(path) : err),
      );
      this.server.listen(path, resolve);
    });
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    try {
      const raw = await readBody(req);
      const text = raw.length > 0 ? raw.toString('utf8') : undefined;
      this.count(method);
      this.logger.info(
        'fc_api',
        `The API server received a ${method} request on "${path}"${text ? ` with body "${text}"` : ''}.`,
      );
      if (raw.length > MAX_PAYLOAD) throw new Fault(msg.payloadTooLarge(raw.length, MAX_PAYLOAD));
      const routed = routeRequest(this.spec, { method, path, body: text });
      const reply: Reply = await this.vmm.handle(routed);
      this.logger.info(
        'fc_api',
        `The request was executed successfully. Status code: ${STATUS_TEXT[reply.status]}.`,
      );
      send(res, reply.status, reply.status === 200 ? reply.body : undefined);
    } catch (err) {
      if (!(err instanceof Fault)) {
        this.logger.error('fc_api', `Internal error handling ${method} ${path}: ${String(err)}`);
      }
      const fault = err instanceof Fault ? err : new Fault(`Internal error: ${String(err)}`, 500);
      this.metrics.counters.api_errors++;
      this.logger.error(
        'fc_api',
        `Received Error. Status code: ${STATUS_TEXT[fault.status] ?? fault.status}. Message: ${fault.message}`,
      );
      send(res, fault.status, { fault_message: fault.message });
    }
  }

  private count(method: string): void {
    if (method === 'GET') this.metrics.counters.get_api_requests++;
    else if (method === 'PATCH') this.metrics.counters.patch_api_requests++;
    else this.metrics.counters.put_api_requests++;
  }
}
