import type { z } from 'zod';
import { AppError } from '../../../domain/errors.js';
import type { BlobCache } from './blob-cache.js';
import { selectPlatform, WANTED_PLATFORM } from './platform.js';
import { formatReference, type ImageReference } from './reference.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';
import {
  type Descriptor,
  type ImageConfigBlob,
  type ImageManifest,
  INDEX_TYPES,
  imageConfigSchema,
  indexSchema,
  MANIFEST_TYPES,
  manifestSchema,
} from './schemas.js';

/** Everything needed to flatten an image, all of it digest-verified. */
export interface ResolvedImage {
  /** Digest of the linux/amd64 image manifest. */
  manifestDigest: string;
  /** Digest of the index or manifest list the reference pointed at, if any. */
  indexDigest: string | undefined;
  manifest: ImageManifest;
  config: ImageConfigBlob;
  configDigest: string;
}

const LAYER_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
]);
const CONFIG_LIMIT = 8 * 1024 * 1024;

function parseJson<T>(schema: z.ZodType<T>, body: Buffer, what: string): T {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError(
      'operation_failed',
      `${what} is not valid JSON; the registry returned something unexpected`,
    );
  }
  const parsed = schema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new AppError('operation_failed', `${what} is malformed${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function kindOf(fetched: FetchedManifest): 'index' | 'manifest' {
  if (INDEX_TYPES.has(fetched.mediaType)) return 'index';
  if (MANIFEST_TYPES.has(fetched.mediaType)) return 'manifest';
  if (fetched.mediaType.includes('manifest.v1')) {
    throw new AppError(
      'operation_failed',
      'this is a legacy schema 1 image, which banger cannot pull; use a newer tag',
    );
  }
  // Some registries omit the media type; the shape tells.
  return fetched.body.includes('"manifests"') && !fetched.body.includes('"layers"') ? 'index' : 'manifest';
}

/** Resolves a reference to its linux/amd64 manifest and image config, caching the config blob. */
export async function resolveImage(
  client: RegistryClient,
  cache: BlobCache,
  ref: ImageReference,
): Promise<ResolvedImage> {
  const name = formatReference(ref);
  let fetched = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  let indexDigest: string | undefined;
  let fromIndex = false;
  if (kindOf(fetched) === 'index') {
    const index = parseJson(indexSchema, fetched.body, `the index of ${name}`);
    const chosen = selectPlatform(index.manifests, name);
    indexDigest = fetched.digest;
    fetched = await client.getManifest(chosen.digest);
    fromIndex = true;
    if (kindOf(fetched) !== 'manifest') {
      throw new AppError('operation_failed', `the linux/amd64 entry of ${name} is not an image manifest`);
    }
  }
  const manifest = parseJson(manifestSchema, fetched.body, `the manifest of ${name}`);
  for (const layer of manifest.layers) checkLayer(layer, name);
  const configDigest = manifest.config.digest;
  if (manifest.config.size > CONFIG_LIMIT) {
    throw new AppError('operation_failed', `the image config of ${name} is implausibly large; refusing it`);
  }
  await cache.ensure(configDigest, manifest.config.size, async () => client.getBlob(configDigest));
  const config = parseJson(
    imageConfigSchema,
    await readVerified(cache, configDigest),
    `the image config of ${name}`,
  );
  if (
    !fromIndex &&
    (config.os !== WANTED_PLATFORM.os || config.architecture !== WANTED_PLATFORM.architecture)
  ) {
    throw new AppError(
      'not_found',
      `${name} is built for ${config.os}/${config.architecture}, not linux/amd64. Pick a tag or digest built for linux/amd64.`,
    );
  }
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new AppError(
      'operation_failed',
      `${name} lists ${manifest.layers.length} layers but its config has ${config.rootfs.diff_ids.length} diff ids; the image is inconsistent`,
    );
  }
  return { manifestDigest: fetched.digest, indexDigest, manifest, config, configDigest };
}

function checkLayer(layer: Descriptor, name: string): void {
  if (layer.urls?.length) {
    throw new AppError(
      'operation_failed',
      `${name} has a foreign layer (${layer.digest}) hosted elsewhere; banger does not fetch those`,
    );
  }
  if (!LAYER_TYPES.has(layer.mediaType)) {
    throw new AppError(
      'operation_failed',
      `${name} has a layer of unsupported type ${layer.mediaType} (${layer.digest})`,
    );
  }
}

async function readVerified(cache: BlobCache, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of cache.openVerified(digest, `cached blob ${digest}`)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
