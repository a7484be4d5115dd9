import { formatSize } from './size.js';

/**
 * How the UIs (TUI and web) show a VM's live readings, so both say the same.
 * `unknown` is what a UI shows for a reading it does not have.
 */

/** 45s, 12m, 3h04m, 2d05h: short enough for a table cell. */
export function formatUptime(seconds: number | undefined, unknown = '-'): string {
  if (seconds === undefined) return unknown;
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** Bytes as a short size (`120.5M`). */
export function formatBytes(bytes: number | undefined, unknown = '-'): string {
  return bytes === undefined ? unknown : formatSize(Math.round(bytes));
}

/** 3.0%, 43%: one decimal below 10. */
export function formatPercent(value: number | undefined, unknown = '-'): string {
  if (value === undefined) return unknown;
  return value >= 10 ? `${Math.round(value)}%` : `${value.toFixed(1)}%`;
}

/** A process's CPU seconds at a moment (ms); `pid` tells a restarted process apart. */
export interface CpuSample {
  cpuSeconds: number;
  at: number;
  pid?: number | undefined;
}

/**
 * CPU use between two samples of one process, as a percentage of one core;
 * undefined without a first sample, for no elapsed time, or when the
 * process changed in between (its counter started again).
 */
export function cpuPercent(before: CpuSample | undefined, after: CpuSample): number | undefined {
  if (!before || before.pid !== after.pid) return undefined;
  const wallSeconds = (after.at - before.at) / 1000;
  if (wallSeconds <= 0) return undefined;
  return Math.max(0, ((after.cpuSeconds - before.cpuSeconds) / wallSeconds) * 100);
}
