import { useEffect, useState } from 'react';
import type { BangerClient } from '../api/client.js';
import type { VmStatsView } from '../api/vms.js';
import { lastLines } from './format.js';

const REFRESH_MS = 1500;
/** Bytes of console log to fetch: enough for the few lines the pane shows. */
const LOG_TAIL_BYTES = 4096;

export interface VmDetail {
  stats: VmStatsView | undefined;
  consoleLines: string[];
}

/**
 * Stats and the end of the console log of the selected VM, refreshed every
 * 1.5 s while it is selected (a pane that follows the log without holding a
 * stream open per selection). Failures leave the last values: the pane is an
 * aid, the table and the status line carry what matters.
 */
export function useVmDetail(client: BangerClient, vmId: string | undefined, lines: number): VmDetail {
  const [detail, setDetail] = useState<VmDetail>({ stats: undefined, consoleLines: [] });

  useEffect(() => {
    setDetail({ stats: undefined, consoleLines: [] });
    if (vmId === undefined) return;
    let cancelled = false;
    const refresh = async () => {
      const [stats, log] = await Promise.all([
        client.vmStats(vmId).catch(() => undefined),
        readTail(client, vmId).catch(() => undefined),
      ]);
      if (cancelled) return;
      setDetail((d) => ({
        stats: stats ?? d.stats,
        consoleLines: log === undefined ? d.consoleLines : lastLines(log, lines),
      }));
    };
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [client, vmId, lines]);

  return detail;
}

async function readTail(client: BangerClient, vmId: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of client.vmLogs(vmId, { source: 'console', tail: LOG_TAIL_BYTES }))
    chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
