import type { Command } from 'commander';
import { connect, resolvePaths } from '../../client/autostart.js';
import { AppError } from '../../domain/errors.js';

export function registerUninstallCommand(program: Command): void {
  program
    .command('uninstall')
    .description('stop the daemon and remove the banger commands; your VMs, images and config stay on disk')
    .option('--keep-package', 'only stop the daemon and print the data paths (for package managers)')
    .action(async (opts: { keepPackage?: boolean }) => {
      try {
        const { client } = await connect({ autoStart: false });
        await client.stopDaemon();
        await client.close();
        process.stderr.write('stopped bangerd\n');
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'daemon_unavailable')) throw err;
      }
      if (!opts.keepPackage) {
        const { uninstallPackage } = await import('../../client/local.js');
        await uninstallPackage();
      }
      const paths = resolvePaths();
      process.stdout.write(
        [
          'banger is uninstalled. Your data is still here; remove it for a full purge:',
          `  ${paths.configDir}   config and SSH keys`,
          `  ${paths.stateDir}   VMs, images, kernels, database, daemon log`,
          `  ${paths.cacheDir}   download cache`,
          '',
        ].join('\n'),
      );
    });
}
