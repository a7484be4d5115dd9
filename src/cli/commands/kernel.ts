import type { Command } from 'commander';
import { printFields, printJson, printTable } from '../output.js';
import { withClient, withProgress } from './image.js';

export function registerKernelCommands(program: Command): void {
  const kernel = program
    .command('kernel')
    .description('list, pull and delete kernel sets (vmlinux, initrd, modules)');

  kernel
    .command('list')
    .description('list pulled kernel sets, or with --available the catalog')
    .option('--available', 'list the kernels banger can pull')
    .option('--json', 'print JSON')
    .action(async (opts: { available?: boolean; json?: boolean }) => {
      if (opts.available) {
        const { kernels } = await withClient((c) => c.availableKernels());
        if (opts.json) return printJson(kernels);
        printTable(
          ['name', 'pulled', 'description'],
          kernels.map((k) => [k.name, k.pulled ? 'yes' : 'no', k.description]),
        );
        return;
      }
      const { kernels } = await withClient((c) => c.listKernels());
      if (opts.json) return printJson(kernels);
      printTable(
        ['name', 'version', 'used by', 'created'],
        kernels.map((k) => [k.name, k.version, k.usedBy.join(',') || '-', k.createdAt]),
      );
    });

  kernel
    .command('show')
    .description('show a kernel set: version, files, source, initramfs modules')
    .argument('<name>', 'kernel set name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const k = await withClient((c) => c.showKernel(name));
      if (opts.json) return printJson(k);
      const source = Object.entries(k.source)
        .map(([key, v]) => `${key}=${String(v)}`)
        .join(' ');
      printFields([
        ['name', k.name],
        ['version', k.version],
        ['vmlinux', k.vmlinux],
        ['initrd', k.initrd],
        ['modules', k.modulesDir],
        ['source', source],
        ['initrd modules', k.initrdModules.join(' ') || '-'],
        ['created', k.createdAt],
        ['used by', k.usedBy.join(', ') || '-'],
      ]);
    });

  kernel
    .command('pull')
    .description('fetch a catalog kernel (verified against the archive index) and build its kernel set')
    .argument('<name>', 'catalog name, see `banger kernel list --available`')
    .addHelpText(
      'after',
      [
        '',
        "The package is verified through Debian's signed index: gpgv checks InRelease with",
        '/usr/share/keyrings/debian-archive-keyring.gpg (sudo apt-get install debian-archive-keyring),',
        'and the pull is refused when that keyring is missing. To pull without the signature check,',
        'trusting HTTPS alone, set `insecure_skip_kernel_signature = true` in config.toml, then',
        '`banger daemon stop` so the daemon reads it again; `banger doctor` warns while it is set.',
      ].join('\n'),
    )
    .action(async (name: string) => {
      const k = await withProgress((c, p) => c.pullKernel(name, p));
      process.stderr.write(`kernel ${k.name} ${k.version} pulled\n`);
    });

  kernel
    .command('delete')
    .description('delete a kernel set (refused while an image uses it)')
    .argument('<name>', 'kernel set name')
    .action(async (name: string) => {
      await withClient((c) => c.deleteKernel(name));
      process.stderr.write(`kernel ${name} deleted\n`);
    });
}
