import { existsSync } from 'node:fs';
import type { PrivilegedTool } from '../network/allow-list.js';
import { untrustedReason } from './trusted-path.js';

/**
 * The root helper runs tools only from the system's own directories, never
 * from a path the caller names or from PATH: the first candidate that exists
 * and passes the trusted-path check. The path is run as found, not resolved,
 * because multi-call binaries (iptables-nft) dispatch on their name.
 */
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findSystemTool(tool: PrivilegedTool): { path: string } | { reason: string } {
  const reasons: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    const path = `${dir}/${tool}`;
    if (!existsSync(path)) continue;
    const reason = untrustedReason(path);
    if (reason === undefined) return { path };
    reasons.push(reason);
  }
  return { reason: reasons[0] ?? `${tool} is not installed in ${SYSTEM_DIRS.join(', ')}` };
}
