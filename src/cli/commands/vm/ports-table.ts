import type { listGuestPorts } from '../../../client/guest-ssh.js';
import { terminalSafe } from '../../terminal-safe.js';

export type ListedPort = Awaited<ReturnType<typeof listGuestPorts>>[number];

export const PORTS_HEADERS = ['proto', 'address', 'port', 'process', 'reach at'] as const;

/**
 * The `vm ports` table rows. Everything but the port number comes from the
 * guest's `ss` (which the guest may have replaced), so each cell has its
 * control characters made visible before it reaches the terminal.
 */
export function portsTableRows(ports: readonly ListedPort[]): string[][] {
  return ports.map((p) =>
    [
      p.proto,
      p.address,
      String(p.port),
      p.processes.map((x) => `${x.name}(${x.pid})`).join(',') || '-',
      p.reachable ? p.url : 'guest only (loopback)',
    ].map(terminalSafe),
  );
}
