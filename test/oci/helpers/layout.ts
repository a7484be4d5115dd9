import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Header, pack } from 'tar-stream';

/** One tar entry of a hand-made layer; anything goes, including hostile names. */
export interface EntrySpec {
  name: string;
  type?: Header['type'];
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  content?: string | Buffer;
  mtime?: Date;
}

export interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface Layer extends Blob {
  diffId: string;
}

export const FIXED_MTIME = new Date('2024-01-02T03:04:05Z');

export function blobOf(bytes: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length, bytes };
}

/** Builds an uncompressed tar from the entries, in order, with tar-stream. */
export async function tarOf(entries: readonly EntrySpec[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p) chunks.push(chunk as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? FIXED_MTIME,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') p.entry(header, e.content ?? '', cb);
      else p.entry(header, '', cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function layerOf(entries: readonly EntrySpec[], compress = true): Promise<Layer> {
  const tar = await tarOf(entries);
  const diffId = blobOf(tar).digest;
  return { ...blobOf(compress ? gzipSync(tar) : tar), diffId };
}

export interface ImageSpec {
  layers: readonly Layer[];
  platform?: { os: string; architecture: string; variant?: string };
  config?: Record<string, unknown>;
}

export const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
} as const;

/** The config and manifest blobs of one image. */
export function imageBlobs(spec: ImageSpec): { config: Blob; manifest: Blob } {
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        ...platform,
        config: spec.config ?? { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId) },
      }),
    ),
  );
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI.manifest,
        config: { mediaType: OCI.config, digest: config.digest, size: config.size },
        layers: spec.layers.map((l) => ({
          mediaType: l.bytes[0] === 0x1f ? OCI.layerGzip : OCI.layerTar,
          digest: l.digest,
          size: l.size,
        })),
      }),
    ),
  );
  return { config, manifest };
}

/**
 * Writes an OCI image layout holding one image, or an index of several
 * (when more than one spec is given), tagged `tag`.
 */
export async function writeLayout(dir: string, tag: string, specs: readonly ImageSpec[]): Promise<void> {
  const blobsDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true });
  const put = (b: Blob) => writeFile(join(blobsDir, b.digest.slice(7)), b.bytes);
  const entries: { mediaType: string; digest: string; size: number; platform: ImageSpec['platform'] }[] = [];
  for (const spec of specs) {
    const { config, manifest } = imageBlobs(spec);
    for (const layer of spec.layers) await put(layer);
    await put(config);
    await put(manifest);
    entries.push({
      mediaType: OCI.manifest,
      digest: manifest.digest,
      size: manifest.size,
      platform: spec.platform ?? { os: 'linux', architecture: 'amd64' },
    });
  }
  let top = entries[0];
  if (specs.length > 1) {
    const index = blobOf(
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI.index, manifests: entries })),
    );
    await put(index);
    top = {
      mediaType: OCI.index,
      digest: index.digest,
      size: index.size,
      platform: { os: '', architecture: '' },
    };
  }
  if (!top) throw new Error('writeLayout needs at least one image');
  const { platform: _unused, ...descriptor } = top;
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}
