import { useEffect, useRef, useState } from 'react';
import type { BangerClient } from '../api/client.js';
import type { VmView } from '../api/vms.js';
import { cpuPercent } from './format.js';
import type { VmUsage } from './table-layout.js';

const SAMPLE_MS = 2000;

/**
 * CPU and RSS of each running VM's Firecracker process. The event stream
 * carries states, not usage (usage changes all the time and would flood it),
 * so these numbers are sampled from `vm stats` every two seconds; CPU is the
 * share of one core between two samples.
 */
export function useUsage(client: BangerClient, vms: readonly VmView[]): Map<string, VmUsage> {
  const [usage, setUsage] = useState<Map<string, VmUsage>>(new Map());
  const previous = useRef(new Map<string, { cpuSeconds: number; at: number; pid: number }>());
  const running = vms
    .filter((vm) => vm.state === 'running')
    .map((vm) => vm.id)
    .join(',');

  useEffect(() => {
    const ids = running ? running.split(',') : [];
    let cancelled = false;
    const sample = async () => {
      const next = new Map<string, VmUsage>();
      await Promise.all(
        ids.map(async (id) => {
          const stats = await client.vmStats(id).catch(() => undefined);
          const proc = stats?.process;
          if (!proc) return;
          const now = { cpuSeconds: proc.cpuSeconds, at: Date.now(), pid: proc.pid };
          const before = previous.current.get(id);
          // A restarted VM is a new process: its CPU seconds start again from zero.
          const sameProcess = before?.pid === proc.pid ? before : undefined;
          previous.current.set(id, now);
          next.set(id, { cpuPercent: cpuPercent(sameProcess, now), rssBytes: proc.rssBytes });
        }),
      );
      if (!cancelled) setUsage(next);
    };
    void sample();
    const timer = setInterval(() => void sample(), SAMPLE_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [client, running]);

  return usage;
}
