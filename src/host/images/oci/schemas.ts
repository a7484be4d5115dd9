import { z } from 'zod';

/** The manifest media types banger understands; all four go in every Accept header. */
const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.dockerList, MediaType.ociIndex]);
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.dockerManifest, MediaType.ociManifest]);

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected a sha256 digest');

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

const platformSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});

export const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema.extend({ platform: platformSchema.optional() })),
});
type ImageIndex = z.infer<typeof indexSchema>;
export type IndexEntry = ImageIndex['manifests'][number];

export const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});
export type ImageManifest = z.infer<typeof manifestSchema>;

/** The parts of the image config banger keeps: how to run it, and the layer diff ids to verify. */
export const imageConfigSchema = z.object({
  architecture: z.string(),
  os: z.string(),
  config: z
    .object({
      Env: z.array(z.string()).nullish(),
      Entrypoint: z.array(z.string()).nullish(),
      Cmd: z.array(z.string()).nullish(),
      WorkingDir: z.string().nullish(),
      User: z.string().nullish(),
    })
    .nullish(),
  rootfs: z.object({ type: z.string(), diff_ids: z.array(digest) }),
});
export type ImageConfigBlob = z.infer<typeof imageConfigSchema>;

/** Run metadata of a pulled image, normalised (absent fields become empty). */
export interface ImageRunConfig {
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  user: string;
}

export function runConfigOf(blob: ImageConfigBlob): ImageRunConfig {
  const c = blob.config ?? {};
  return {
    env: c.Env ?? [],
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    workingDir: c.WorkingDir ?? '',
    user: c.User ?? '',
  };
}

export const tokenResponseSchema = z
  .object({ token: z.string().optional(), access_token: z.string().optional() })
  .refine((t) => t.token !== undefined || t.access_token !== undefined, 'the token response has no token');
