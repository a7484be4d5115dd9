import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { BangerClient, OnStage } from '../../api/client.js';
import type { ImageInfo } from '../../api/images.js';
import { connect } from '../../client/autostart.js';
import { formatSize, parseSize } from '../../domain/size.js';
import { printFields, printJson, printTable } from '../output.js';
import { progressPrinter } from '../progress.js';

/** Runs `fn` with a connected client and closes it afterwards. */
export async function withClient<T>(fn: (client: BangerClient) => Promise<T>): Promise<T> {
  const { client } = await connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Runs a streamed operation, rendering its progress, and returns its result. */
export function withProgress<T>(fn: (client: BangerClient, onStage: OnStage) => Promise<T>): Promise<T> {
  const progress = progressPrinter();
  return withClient((client) => fn(client, progress));
}

const hostPath = (p: string) => resolve(process.cwd(), p);

function sourceLabel(image: ImageInfo): string {
  if (image.source.kind === 'oci') return `oci ${image.source.reference}`;
  return image.source.kind === 'build' ? 'build' : 'register';
}

function kernelLabel(image: ImageInfo): string {
  return image.kernel.kind === 'set' ? image.kernel.name : `own (${image.kernel.version})`;
}

export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('list, build, pull, register and delete VM images');

  image
    .command('list')
    .description('list images: name, size, source, kernel, created; with --available the catalog')
    .option('--available', 'list the images banger knows by name (`banger image pull NAME`)')
    .option('--json', 'print JSON')
    .action(async (opts: { available?: boolean; json?: boolean }) => {
      if (opts.available) {
        const { images } = await withClient((c) => c.availableImages());
        if (opts.json) return printJson(images);
        printTable(
          ['name', 'present', 'how', 'description'],
          images.map((i) => [i.name, i.present ? 'yes' : 'no', i.how, i.description]),
        );
        return;
      }
      const { images } = await withClient((c) => c.listImages());
      if (opts.json) return printJson(images);
      printTable(
        ['name', 'size', 'source', 'kernel', 'created'],
        images.map((i) => [i.name, formatSize(i.sizeBytes), sourceLabel(i), kernelLabel(i), i.createdAt]),
      );
    });

  image
    .command('show')
    .description('show one image: its files, source, kernel and the VMs using it')
    .argument('<name>', 'image name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const d = await withClient((c) => c.showImage(name));
      if (opts.json) return printJson(d);
      const src = d.source;
      printFields([
        ['name', d.name],
        ['source', sourceLabel(d)],
        ...(src.kind === 'oci' ? [['digest', src.manifestDigest] as const] : []),
        ...(src.kind === 'build'
          ? [['packages', `${src.packages.length} (${src.packagesFile}), mode ${src.mode}`] as const]
          : []),
        ['managed', d.managed ? 'yes' : 'no (registered host files)'],
        ['size', formatSize(d.sizeBytes)],
        ['rootfs', d.rootfs],
        ['work seed', d.workSeed ?? '-'],
        ['kernel', `${kernelLabel(d)}, version ${d.kernelVersion}`],
        ['created', d.createdAt],
        ['used by', d.usedBy.join(', ') || '-'],
      ]);
    });

  image
    .command('build')
    .description(
      'build the golden Debian image with mmdebstrap (progress streamed, full log in the state dir)',
    )
    .option('--name <name>', 'image name', 'debian-bookworm')
    .option('--packages <file>', 'package list, one per line (default: the one shipped with banger)')
    .option('--size <size>', 'rootfs size, e.g. 4G', '4G')
    .action(async (opts: { name: string; packages?: string; size: string }) => {
      const sizeBytes = parseSize(opts.size, 'image size');
      const built = await withProgress((c, p) =>
        c.buildImage(
          { name: opts.name, sizeBytes, ...(opts.packages ? { packagesFile: hostPath(opts.packages) } : {}) },
          p,
        ),
      );
      process.stderr.write(`image ${built.name} built (${formatSize(built.sizeBytes)})\n`);
    });

  image
    .command('pull')
    .description(
      "make an image by catalog name (see `image list --available`; debian-bookworm is built here by banger's recipe), or pull an OCI image from a registry and make it bootable (paired with the default kernel)",
    )
    .argument(
      '<ref>',
      'a catalog name, or an OCI reference: docker.io/library/debian:bookworm, localhost:5000/x:y, repo@sha256:…',
    )
    .option('--name <name>', 'image name (default: from the reference, e.g. alpine-3-20 for alpine:3.20)')
    .option('--insecure', 'allow plain HTTP to a registry that is not on localhost')
    .action(async (ref: string, opts: { name?: string; insecure?: boolean }) => {
      const pulled = await withProgress((c, p) =>
        c.pullImage(
          { ref, ...(opts.name ? { name: opts.name } : {}), ...(opts.insecure ? { insecure: true } : {}) },
          p,
        ),
      );
      const verb = pulled.source.kind === 'build' ? 'built' : 'pulled';
      process.stderr.write(`image ${pulled.name} ${verb} (${formatSize(pulled.sizeBytes)})\n`);
    });

  image
    .command('register')
    .description('register existing host files as an image (used in place; see `image promote`)')
    .argument('<name>', 'image name')
    .requiredOption('--rootfs <file>', 'ext4 root filesystem')
    .option('--kernel <vmlinux>', 'uncompressed ELF kernel (with --initrd)')
    .option('--initrd <file>', "initramfs that follows banger's boot contract")
    .option('--modules <dir>', "the kernel's /lib/modules/<version> directory")
    .option('--kernel-ref <name>', 'a kernel set, see `banger kernel list`')
    .option('--work-seed <file>', 'ext4 image of a prepared /root')
    .action(
      async (
        name: string,
        opts: {
          rootfs: string;
          kernel?: string;
          initrd?: string;
          modules?: string;
          kernelRef?: string;
          workSeed?: string;
        },
      ) => {
        const registered = await withClient((c) =>
          c.registerImage({
            name,
            rootfs: hostPath(opts.rootfs),
            ...(opts.workSeed ? { workSeed: hostPath(opts.workSeed) } : {}),
            ...(opts.kernelRef ? { kernelRef: opts.kernelRef } : {}),
            ...(opts.kernel ? { vmlinux: hostPath(opts.kernel) } : {}),
            ...(opts.initrd ? { initrd: hostPath(opts.initrd) } : {}),
            ...(opts.modules ? { modulesDir: hostPath(opts.modules) } : {}),
          }),
        );
        process.stderr.write(`image ${registered.name} registered\n`);
      },
    );

  image
    .command('promote')
    .description("copy a registered image's files into banger's managed storage")
    .argument('<name>', 'image name')
    .action(async (name: string) => {
      await withProgress((c, p) => c.promoteImage(name, p));
      process.stderr.write(`image ${name} promoted to managed storage\n`);
    });

  image
    .command('delete')
    .description(
      'delete an image (refused while a VM uses it); managed files are removed, registered files kept',
    )
    .argument('<name>', 'image name')
    .action(async (name: string) => {
      await withClient((c) => c.deleteImage(name));
      process.stderr.write(`image ${name} deleted\n`);
    });
}
