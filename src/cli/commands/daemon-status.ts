import { connect } from '../../client/autostart.js';
import { formatDuration, printFields, printJson } from '../output.js';

/**
 * `banger daemon status` (starting the daemon if needed): the action of the
 * commander command and of the fast path (see fast-path.ts), so both print the same.
 */
export async function showDaemonStatus(opts: { json?: boolean }): Promise<void> {
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
}

/** The web UI's address, why it is not listening, or that it is off (web_listen_addr unset). */
function webLine(status: { webUrl: string | null; webError: string | null }): string {
  if (status.webUrl) return status.webUrl;
  if (status.webError) return `unavailable (${status.webError})`;
  return 'off (set web_listen_addr; see `banger web --help`)';
}
