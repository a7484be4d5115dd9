import { request } from 'node:http';
import { describeRequest, type FcRequest, fcRequests, type InstanceInfo } from './api-types.js';

/** A Firecracker API call that failed: an error answer (status ≥ 300) or no answer at all (status 0). */
export class FirecrackerApiError extends Error {
  constructor(
    readonly request: FcRequest,
    /** HTTP status, or 0 when the socket could not be reached or the call timed out. */
    readonly status: number,
    /** Firecracker's `fault_message`, or the connection error. */
    readonly fault: string,
  ) {
    super(`${describeRequest(request)} failed${status ? ` (HTTP ${status})` : ''}: ${fault}`);
    this.name = 'FirecrackerApiError';
  }
}

export interface CallOptions {
  /** Give up after this long (default 30 s: InstanceStart waits for the VMM to set up the guest). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Answers are small JSON documents; anything bigger is not Firecracker talking. */
const MAX_ANSWER_BYTES = 1024 * 1024;

function faultOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { fault_message?: unknown };
    if (typeof parsed.fault_message === 'string') return parsed.fault_message;
  } catch {
    // not JSON: use the text itself
  }
  return text.trim() || 'no fault message';
}

/**
 * A client for one Firecracker API socket. Each call is one HTTP request on
 * its own connection. `send` resolves with the parsed JSON answer (undefined
 * for 204) and rejects with FirecrackerApiError otherwise.
 */
export class FirecrackerApi {
  constructor(readonly socketPath: string) {}

  send(req: FcRequest, options: CallOptions = {}): Promise<unknown> {
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const fail = (status: number, fault: string) => reject(new FirecrackerApiError(req, status, fault));
      const httpReq = request(
        {
          socketPath: this.socketPath,
          method: req.method,
          path: req.path,
          agent: false,
          signal: options.signal,
          timeout: timeoutMs,
          headers: {
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) res.destroy(new Error('answer too large'));
            else chunks.push(chunk);
          });
          res.on('error', (err) => fail(0, err.message));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return fail(status, faultOf(text));
            if (text.trim() === '') return resolve(undefined);
            try {
              resolve(JSON.parse(text) as unknown);
            } catch {
              fail(status, `answer is not JSON: ${text.slice(0, 200)}`);
            }
          });
        },
      );
      httpReq.on('timeout', () => httpReq.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      httpReq.on('error', (err: NodeJS.ErrnoException) =>
        fail(0, err.code ? `${err.code} ${err.message}` : err.message),
      );
      httpReq.end(payload);
    });
  }

  /** `GET /`: the instance's id, state and version. */
  async describeInstance(options?: CallOptions): Promise<InstanceInfo> {
    const req = fcRequests.describeInstance();
    const answer = await this.send(req, options);
    const info = answer as Partial<InstanceInfo> | undefined;
    if (typeof info?.id !== 'string' || typeof info.state !== 'string') {
      throw new FirecrackerApiError(req, 200, `unexpected answer ${JSON.stringify(answer)}`);
    }
    return info as InstanceInfo;
  }
}
