import { AppError } from '../../../domain/errors.js';

/**
 * A parsed image reference. `registry` is the name the user means
 * (`docker.io`), `apiHost` is where the v2 API actually lives
 * (`registry-1.docker.io`). Exactly one of `digest` or `tag` drives the
 * manifest request: a digest wins when both are given (`name:tag@sha256:…`).
 */
export interface ImageReference {
  registry: string;
  apiHost: string;
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';
// The grammar of github.com/distribution/reference.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

function invalid(input: string, why: string): AppError {
  return new AppError(
    'invalid_argument',
    `invalid image reference "${input}": ${why}. Use the form [registry/]repository[:tag][@sha256:digest], e.g. docker.io/library/debian:bookworm`,
  );
}

/** A first path component names a registry when it looks like a host, as Docker decides it. */
function looksLikeHost(component: string): boolean {
  return (
    component.includes('.') || component.includes(':') || component === 'localhost' || /^\[/.test(component)
  );
}

/** Parses `debian`, `docker.io/library/debian:bookworm`, `localhost:5000/x:y`, `host/x@sha256:…`. */
export function parseReference(input: string): ImageReference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      throw invalid(input, 'only sha256 digests of 64 lowercase hex digits are supported');
  }
  let tag: string | undefined;
  // A colon after the last slash separates the tag; one before it belongs to a host:port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && looksLikeHost(parts[0] ?? '')) registry = parts.shift() ?? DOCKER_HUB;
  if (!HOST.test(registry)) throw invalid(input, `"${registry}" is not a valid registry host`);
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!PATH_COMPONENT.test(part)) {
      throw invalid(
        input,
        `"${part}" is not a valid repository component (lowercase letters, digits, . _ -)`,
      );
    }
  }
  const repository = parts.join('/');
  if (repository.length > 255) throw invalid(input, 'the repository name is longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API : registry, repository, tag, digest };
}

/** The canonical text form, e.g. `docker.io/library/debian:bookworm`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** True for registries on this machine, the only ones spoken to over plain HTTP by default. */
export function isLoopbackRegistry(host: string): boolean {
  const name = host.replace(/:[0-9]+$/, '');
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]';
}

/**
 * The base URL of the v2 API. HTTPS unless the registry is on loopback or the
 * caller explicitly allowed an insecure registry.
 */
export function registryBaseUrl(ref: ImageReference, insecure: boolean): string {
  const scheme = insecure || isLoopbackRegistry(ref.apiHost) ? 'http' : 'https';
  return `${scheme}://${ref.apiHost}`;
}
