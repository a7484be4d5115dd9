import { readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readProcCmdline, readProcStat } from '../proc.js';
import type { FirecrackerHandle } from './driver.js';
import { vmFiles } from './launch-plan.js';

/** The value of `--api-sock` (or `--api-sock=`) in argv. */
function apiSockOf(argv: readonly string[]): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === '--api-sock') return argv[i + 1];
    if (a.startsWith('--api-sock=')) return a.slice('--api-sock='.length);
  }
  return undefined;
}

/**
 * This user's live processes whose API socket is a VM dir's
 * `firecracker.sock` directly under `vmsDir` (the command line launch()
 * gives Firecracker), whoever started them. Processes of other users, and
 * ones working in another banger installation's VM dirs, never match. For
 * the reconcile at daemon start: a daemon killed before it recorded a
 * process leaves it findable only this way.
 */
export function findVmmProcesses(vmsDir: string): FirecrackerHandle[] {
  const root = resolve(vmsDir);
  const uid = process.getuid?.();
  const found: FirecrackerHandle[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
    } catch {
      continue; // exited meanwhile
    }
    const sock = apiSockOf(readProcCmdline(pid) ?? []);
    if (sock === undefined) continue;
    const vmDir = dirname(sock);
    if (dirname(vmDir) !== root || vmFiles(vmDir).apiSock !== sock) continue;
    const stat = readProcStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    found.push({ pid, startTime: stat.startTime, apiSock: sock, vmDir });
  }
  return found;
}
