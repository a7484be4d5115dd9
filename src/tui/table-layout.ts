import type { VmView } from '../api/vms.js';
import { fitWidth, formatBytes, formatPercent, formatSizing, formatUptime, printable } from './format.js';

/** What the table shows of a running VM's process, sampled from `vm stats`. */
export interface VmUsage {
  cpuPercent: number | undefined;
  rssBytes: number;
}

interface Column {
  title: string;
  /** Fixed width; flexible columns share what is left. */
  width?: number;
  cell: (vm: VmView, usage: VmUsage | undefined, now: number) => string;
}

/**
 * Uptime now, from when the VM started: the event stream sends a VM again
 * only when something other than its uptime changes, so the number it
 * carried is as old as the last change.
 */
export function uptimeAt(vm: VmView, now: number): number | undefined {
  if (vm.state !== 'running') return undefined;
  const started = vm.startedAt === undefined ? Number.NaN : Date.parse(vm.startedAt);
  return Number.isNaN(started) ? vm.uptimeSeconds : Math.max(0, (now - started) / 1000);
}

const columns: Column[] = [
  { title: 'NAME', cell: (vm) => vm.name },
  { title: 'STATE', width: 8, cell: (vm) => vm.state },
  { title: 'IP', width: 14, cell: (vm) => vm.guestIp },
  { title: 'IMAGE', cell: (vm) => vm.image },
  { title: 'CPU/MEM/DISK', width: 12, cell: formatSizing },
  { title: 'UP', width: 6, cell: (vm, _u, now) => formatUptime(uptimeAt(vm, now)) },
  { title: 'CPU', width: 5, cell: (_vm, u) => formatPercent(u?.cpuPercent) },
  { title: 'RSS', width: 6, cell: (_vm, u) => formatBytes(u?.rssBytes) },
];

/** Column widths for a terminal `width` wide: the name gets 55% of the flexible space, the image the rest. */
function widths(width: number): number[] {
  const fixed = columns.reduce((sum, c) => sum + (c.width ?? 0), 0) + (columns.length - 1);
  const flexible = Math.max(width - fixed, 8);
  const nameWidth = Math.ceil(flexible * 0.55);
  return columns.map((c, i) => c.width ?? (i === 0 ? nameWidth : flexible - nameWidth));
}

/** Each cell cut or padded to its column; joined with one space they fill `width` columns at most. */
function fitted(cells: string[], width: number): string[] {
  const w = widths(width);
  return cells.map((cell, i) => fitWidth(cell, w[i] ?? 0));
}

export function headerCells(width: number): string[] {
  return fitted(
    columns.map((c) => c.title),
    width,
  );
}

/** The row of one VM; cell 1 is the state (the table colours it). */
export function vmCells(vm: VmView, usage: VmUsage | undefined, width: number, now: number): string[] {
  return fitted(
    columns.map((c) => printable(c.cell(vm, usage, now))),
    width,
  );
}
