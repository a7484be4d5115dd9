import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { AppError } from '../../../domain/errors.js';
import { parseChallenge } from './auth-challenge.js';
import {
  assertTransportAllowed,
  errorExcerpt,
  type HttpResponse,
  headerValue,
  httpGet,
  readLimited,
} from './http.js';
import { formatReference, type ImageReference, registryBaseUrl } from './reference.js';
import { MANIFEST_ACCEPT, tokenResponseSchema } from './schemas.js';

export interface RegistryClientOptions {
  ref: ImageReference;
  /** Allow plain HTTP to a non-loopback registry (and its token realm). */
  insecure?: boolean;
  /** Tests inject a dispatcher; the global one is used otherwise. */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface FetchedManifest {
  body: Buffer;
  /** From Content-Type, falling back to the document's own `mediaType`. */
  mediaType: string;
  /** sha256 of the exact bytes received. */
  digest: string;
}

const MANIFEST_LIMIT = 4 * 1024 * 1024;
const USER_AGENT = 'banger (+https://github.com/banger)';

function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * A registry v2 client for anonymous pulls of one repository. On a 401 with
 * a Bearer challenge it fetches a token from the challenge's realm (service
 * and scope passed through) and retries once; the token is reused for the
 * rest of this client's requests and refreshed when a later request gets a
 * 401 again. Basic auth is not supported.
 */
export class RegistryClient {
  private readonly base: string;
  private readonly insecure: boolean;
  private token: string | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    this.insecure = options.insecure ?? false;
    this.base = registryBaseUrl(options.ref, this.insecure);
  }

  private get what(): string {
    return formatReference(this.options.ref);
  }

  /** GETs a manifest by tag or digest; a digest reference is verified against the bytes. */
  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.get(`manifests/${reference}`, MANIFEST_ACCEPT, `manifest ${reference}`);
    const body = await readLimited(res, MANIFEST_LIMIT, `the manifest of ${this.what}`);
    const digest = sha256Digest(body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new AppError(
        'operation_failed',
        `the registry returned a manifest for ${reference} whose content hashes to ${digest}; refusing it. Retry later or use another mirror.`,
      );
    }
    const header = headerValue(res, 'docker-content-digest');
    if (header?.startsWith('sha256:') && header !== digest) {
      throw new AppError(
        'operation_failed',
        `the manifest of ${this.what} hashes to ${digest} but the registry says ${header}; refusing it`,
      );
    }
    const contentType = headerValue(res, 'content-type')?.split(';')[0]?.trim() ?? '';
    return { body, mediaType: contentType || mediaTypeOf(body), digest };
  }

  /** GETs a blob; the caller verifies its digest while consuming the stream. */
  async getBlob(
    digest: string,
    signal?: AbortSignal,
  ): Promise<{ body: Readable; length: number | undefined }> {
    const res = await this.get(`blobs/${digest}`, '*/*', `blob ${digest}`, signal);
    const length = Number(headerValue(res, 'content-length'));
    return { body: res.body, length: Number.isFinite(length) ? length : undefined };
  }

  private async get(path: string, accept: string, what: string, signal?: AbortSignal): Promise<HttpResponse> {
    const url = new URL(`/v2/${this.options.ref.repository}/${path}`, this.base);
    let res = await this.send(url, accept, signal);
    // One token fetch per request: the first 401, or an expired token on a long pull.
    if (res.statusCode === 401) {
      const challenge = parseChallenge(headerValue(res, 'www-authenticate'));
      await res.body.dump();
      if (challenge?.scheme !== 'bearer') {
        throw new AppError(
          'not_found',
          `${this.what}: the registry requires ${challenge?.scheme ?? 'unknown'} authentication; banger only pulls anonymously or with bearer tokens`,
        );
      }
      this.token = await this.fetchToken(challenge.params);
      res = await this.send(url, accept, signal);
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    const excerpt = await errorExcerpt(res);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new AppError(
        'not_found',
        `access to ${what} of ${this.what} was denied (HTTP ${res.statusCode}): the repository does not exist or needs credentials`,
      );
    }
    if (res.statusCode === 404) {
      throw new AppError('not_found', `${what} of ${this.what} was not found; check the name, tag or digest`);
    }
    throw new AppError(
      'operation_failed',
      `fetching ${what} of ${this.what} failed with HTTP ${res.statusCode}${excerpt ? `: ${excerpt}` : ''}`,
    );
  }

  private async send(url: URL, accept: string, signal?: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept, 'user-agent': USER_AGENT };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const { res } = await httpGet(url, {
      headers,
      insecure: this.insecure,
      dispatcher: this.options.dispatcher,
      signal: this.signalWith(signal),
    });
    return res;
  }

  private signalWith(signal: AbortSignal | undefined): AbortSignal | undefined {
    const own = this.options.signal;
    if (!signal) return own;
    return own ? AbortSignal.any([own, signal]) : signal;
  }

  private async fetchToken(params: Record<string, string>): Promise<string> {
    const realm = params.realm;
    if (!realm) throw new AppError('operation_failed', `${this.what}: the bearer challenge has no realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AppError(
        'operation_failed',
        `${this.what}: the bearer challenge realm "${realm}" is not a URL`,
      );
    }
    assertTransportAllowed(url, this.insecure);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.options.ref.repository}:pull`);
    const { res } = await httpGet(url, {
      headers: { accept: 'application/json', 'user-agent': USER_AGENT },
      insecure: this.insecure,
      dispatcher: this.options.dispatcher,
      signal: this.options.signal,
    });
    if (res.statusCode !== 200) {
      const excerpt = await errorExcerpt(res);
      throw new AppError(
        'operation_failed',
        `the token server ${url.origin} refused an anonymous token for ${this.what} (HTTP ${res.statusCode})${excerpt ? `: ${excerpt}` : ''}`,
      );
    }
    const body = await readLimited(res, 1024 * 1024, 'the token response');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new AppError('operation_failed', `the token server ${url.origin} did not return JSON`);
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success)
      throw new AppError('operation_failed', `the token server ${url.origin} returned no token`);
    return parsed.data.token ?? parsed.data.access_token ?? '';
  }
}

function mediaTypeOf(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { mediaType?: unknown };
    return typeof doc.mediaType === 'string' ? doc.mediaType : '';
  } catch {
    return '';
  }
}
