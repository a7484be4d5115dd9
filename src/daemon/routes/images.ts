import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  type AvailableImages,
  type AvailableKernels,
  buildImageRequest,
  type ImageDetail,
  type ImageInfo,
  type ImageList,
  type KernelInfo,
  pullImageRequest,
  registerImageRequest,
} from '../../api/images.js';
import { routes } from '../../api/routes.js';
import type { ImageRecord } from '../../domain/image.js';
import { imageCatalog } from '../../domain/image-catalog.js';
import type { DaemonContext } from '../context.js';
import { streamOperation } from '../ndjson.js';
import type { KernelSet } from '../services/images/kernel-service.js';
import { on } from './on.js';

const nameParam = z.object({ name: z.string() });

function imageInfo(r: ImageRecord): ImageInfo {
  return { ...r, workSeed: r.workSeed };
}

function kernelInfo(k: KernelSet): KernelInfo {
  return {
    name: k.name,
    version: k.version,
    dir: k.dir,
    vmlinux: k.vmlinux,
    initrd: k.initrd,
    modulesDir: k.modulesDir,
    source: k.manifest.source,
    initrdModules: k.manifest.initrd.modules,
    createdAt: k.manifest.createdAt,
    usedBy: k.usedBy,
  };
}

/** Images and kernel sets. Pulls, builds and promotes answer with NDJSON progress streams. */
export function registerImageRoutes(app: FastifyInstance, ctx: DaemonContext): void {
  const { images, kernels } = ctx.images;

  on(app, routes.listImages, async (): Promise<ImageList> => ({ images: images.list().map(imageInfo) }));

  on(
    app,
    routes.availableImages,
    async (): Promise<AvailableImages> => ({
      images: imageCatalog.map((i) => ({ ...i, present: images.list().some((r) => r.name === i.name) })),
    }),
  );

  on(app, routes.showImage, async (request): Promise<ImageDetail> => {
    const { name } = nameParam.parse(request.params);
    const d = images.show(name);
    return { ...imageInfo(d.image), kernelVersion: d.kernelVersion, usedBy: d.usedBy };
  });

  on(app, routes.registerImage, async (request): Promise<ImageInfo> => {
    const r = registerImageRequest.parse(request.body);
    const kernel =
      r.kernelRef !== undefined
        ? { kernelRef: r.kernelRef }
        : {
            vmlinux: r.vmlinux ?? '',
            initrd: r.initrd ?? '',
            ...(r.modulesDir === undefined ? {} : { modulesDir: r.modulesDir }),
          };
    return imageInfo(
      await images.register({
        name: r.name,
        rootfs: r.rootfs,
        ...(r.workSeed === undefined ? {} : { workSeed: r.workSeed }),
        kernel,
      }),
    );
  });

  on(app, routes.pullImage, async (request, reply) => {
    const r = pullImageRequest.parse(request.body);
    await streamOperation(reply, async (emit, signal) =>
      imageInfo(
        await images.pull(
          {
            ref: r.ref,
            ...(r.name === undefined ? {} : { name: r.name }),
            ...(r.insecure === undefined ? {} : { insecure: r.insecure }),
          },
          emit,
          signal,
        ),
      ),
    );
  });

  on(app, routes.buildImage, async (request, reply) => {
    const r = buildImageRequest.parse(request.body);
    await streamOperation(reply, async (emit, signal) =>
      imageInfo(
        await images.build(
          {
            ...(r.name === undefined ? {} : { name: r.name }),
            ...(r.packagesFile === undefined ? {} : { packagesFile: r.packagesFile }),
            ...(r.sizeBytes === undefined ? {} : { sizeBytes: r.sizeBytes }),
          },
          emit,
          signal,
        ),
      ),
    );
  });

  on(app, routes.promoteImage, async (request, reply) => {
    const { name } = nameParam.parse(request.params);
    images.get(name); // a missing image is a plain 404, not a stream
    await streamOperation(reply, async (emit, signal) => imageInfo(await images.promote(name, emit, signal)));
  });

  on(app, routes.deleteImage, async (request) => {
    const { name } = nameParam.parse(request.params);
    await images.delete(name);
    return { ok: true as const };
  });

  on(app, routes.listKernels, async () => ({ kernels: kernels.list().map(kernelInfo) }));

  on(app, routes.availableKernels, async (): Promise<AvailableKernels> => ({ kernels: kernels.available() }));

  on(app, routes.showKernel, async (request): Promise<KernelInfo> => {
    const { name } = nameParam.parse(request.params);
    return kernelInfo(kernels.get(name));
  });

  on(app, routes.pullKernel, async (request, reply) => {
    const { name } = nameParam.parse(request.params);
    await streamOperation(reply, async (emit, signal) =>
      kernelInfo(await kernels.pull(name, emit, { existing: 'refuse', signal })),
    );
  });

  on(app, routes.deleteKernel, async (request) => {
    const { name } = nameParam.parse(request.params);
    await kernels.delete(name);
    return { ok: true as const };
  });
}
