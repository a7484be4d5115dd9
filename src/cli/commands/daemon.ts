import type { Command } from 'commander';
import { connect, resolvePaths } from '../../client/autostart.js';
import { AppError } from '../../domain/errors.js';
import { showDaemonStatus } from './daemon-status.js';

export function registerDaemonCommands(program: Command): void {
  const daemon = program.command('daemon').description('inspect and control bangerd, the background daemon');

  daemon
    .command('status')
    .description(
      'show the daemon (starting it if needed): pid, socket, log, DNS address, web UI address, version, uptime',
    )
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => showDaemonStatus(opts));

  daemon
    .command('socket')
    .description("print the daemon's socket path")
    .action(() => {
      process.stdout.write(`${resolvePaths().socket}\n`);
    });

  daemon
    .command('stop')
    .description('stop the daemon (running VMs keep running and are adopted on the next start)')
    .action(async () => {
      let client: Awaited<ReturnType<typeof connect>>['client'];
      let pid: number;
      try {
        // The first request tells whether a daemon is behind the socket.
        ({ client } = await connect({ autoStart: false }));
        ({ pid } = await client.status());
      } catch (err) {
        if (err instanceof AppError && err.code === 'daemon_unavailable') {
          process.stderr.write('bangerd is not running\n');
          return;
        }
        throw err;
      }
      await client.stopDaemon();
      await client.close();
      await waitForExit(pid, 15_000);
      process.stderr.write(`bangerd stopped (pid ${pid})\n`);
    });
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new AppError(
    'timeout',
    `bangerd (pid ${pid}) did not exit within ${timeoutMs / 1000}s; try kill ${pid}`,
  );
}
