import type { Command } from 'commander';
import { connect, resolvePaths } from '../../client/autostart.js';
import { AppError } from '../../domain/errors.js';
import { formatDuration, printFields, printJson } from '../output.js';

export function registerDaemonCommands(program: Command): void {
  const daemon = program.command('daemon').description('inspect and control bangerd, the background daemon');

  daemon
    .command('status')
    .description(
      'show the daemon (starting it if needed): pid, socket, log, DNS address, web UI address, version, uptime',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { client } = await connect();
      const status = await client.status();
      await client.close();
      if (opts.json) return printJson(status);
      printFields([
        ['pid', String(status.pid)],
        ['version', status.version],
        ['uptime', formatDuration(status.uptimeSeconds)],
        ['socket', status.socket],
        ['log', status.logPath],
        ['state', status.stateDir],
        ['dns', status.dnsListenAddr],
        ['web', webLine(status)],
      ]);
    });

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

/** The web UI's address, why it is not listening, or that it is off (web_listen_addr unset). */
function webLine(status: { webUrl: string | null; webError: string | null }): string {
  if (status.webUrl) return status.webUrl;
  if (status.webError) return `unavailable (${status.webError})`;
  return 'off (set web_listen_addr; see `banger web --help`)';
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
