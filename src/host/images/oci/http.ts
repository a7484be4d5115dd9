import { type Dispatcher, request } from 'undici';
import { AppError } from '../../../domain/errors.js';
import { isLoopbackRegistry } from './reference.js';

export type HttpResponse = Dispatcher.ResponseData;

export interface GetOptions {
  headers: Record<string, string>;
  /** Whether plain HTTP is acceptable for any host (`--insecure`). */
  insecure: boolean;
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_REDIRECTS = 5;
const HEADERS_TIMEOUT_MS = 30_000;
const BODY_TIMEOUT_MS = 60_000;

/** Plain HTTP is refused unless the host is this machine or the caller said `insecure`. */
export function assertTransportAllowed(url: URL, insecure: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (insecure || isLoopbackRegistry(url.host))) return;
  throw new AppError(
    'invalid_argument',
    `refusing to fetch ${url.origin} over ${url.protocol.replace(':', '')}: only HTTPS is used for non-local registries. Pass --insecure if you trust this registry.`,
  );
}

/**
 * GETs `url`, following up to five redirects itself so that credentials are
 * only ever sent to the origin they were issued for (blob redirects go to
 * CDNs), and never downgrading to plain HTTP. Any status is returned; the
 * caller owns the body and must consume or dump it.
 */
export async function httpGet(url: URL, options: GetOptions): Promise<{ res: HttpResponse; url: URL }> {
  let current = url;
  let headers = options.headers;
  for (let hop = 0; ; hop++) {
    assertTransportAllowed(current, options.insecure);
    let res: HttpResponse;
    try {
      res = await request(current, {
        method: 'GET',
        headers,
        dispatcher: options.dispatcher,
        signal: options.signal,
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: BODY_TIMEOUT_MS,
      });
    } catch (err) {
      throw networkError(current, err);
    }
    const location = res.headers.location;
    if (res.statusCode < 300 || res.statusCode >= 400 || typeof location !== 'string')
      return { res, url: current };
    await res.body.dump();
    if (hop >= MAX_REDIRECTS) {
      throw new AppError(
        'operation_failed',
        `too many redirects fetching ${url.href}; the registry is misbehaving`,
      );
    }
    const next = new URL(location, current);
    if (next.origin !== current.origin) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    current = next;
  }
}

function networkError(url: URL, err: unknown): AppError {
  if (err instanceof Error && err.name === 'AbortError') {
    return new AppError('cancelled', `fetching ${url.origin} was cancelled`, { cause: err });
  }
  const code = (err as { code?: string }).code;
  const why = code ?? (err instanceof Error ? err.message : String(err));
  return new AppError(
    'operation_failed',
    `could not reach the registry at ${url.origin} (${why}); check the address and your network`,
    { cause: err },
  );
}

/** Reads a whole body, refusing more than `limit` bytes (manifests and tokens are small). */
export async function readLimited(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      res.body.destroy();
      throw new AppError('operation_failed', `${what} is larger than ${limit} bytes; refusing it`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** A short, printable excerpt of an error body for messages. */
export async function errorExcerpt(res: HttpResponse): Promise<string> {
  try {
    const text = (await readLimited(res, 64 * 1024, 'error body')).toString('utf8');
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

export function headerValue(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
