import { useEffect, useRef, useState } from 'preact/hooks';
import { type CpuSample, cpuPercent } from '../domain/readings.js';
import { api } from './api.js';
import type { VmRow } from './vm-rows.js';

export interface VmUsage {
  cpuPercent: number | undefined;
  rssBytes: number;
}

const SAMPLE_MS = 2000;

/**
 * CPU and RSS of each running VM's Firecracker process, sampled from its
 * stats every two seconds: the event stream carries states, not usage (which
 * changes all the time). CPU is the daemon's own figure when it has one, else
 * the share of one core between two of our samples of the same process.
 */
export function useUsage(rows: readonly VmRow[]): Map<string, VmUsage> {
  const [usage, setUsage] = useState<Map<string, VmUsage>>(new Map());
  const previous = useRef(new Map<string, CpuSample>());
  const running = rows
    .filter((r) => r.vm.state === 'running')
    .map((r) => r.vm.id)
    .join(',');

  useEffect(() => {
    const ids = running ? running.split(',') : [];
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sample = async () => {
      const next = new Map<string, VmUsage>();
      await Promise.all(
        ids.map(async (id) => {
          const proc = (await api.vmStats(id).catch(() => undefined))?.process;
          if (!proc) return;
          const now = { cpuSeconds: proc.cpuSeconds, at: Date.now(), pid: proc.pid };
          const before = previous.current.get(id);
          previous.current.set(id, now);
          next.set(id, { cpuPercent: proc.cpuPercent ?? cpuPercent(before, now), rssBytes: proc.rssBytes });
        }),
      );
      if (stopped) return;
      setUsage(next);
      timer = setTimeout(() => void sample(), SAMPLE_MS);
    };
    void sample();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [running]);

  return usage;
}
