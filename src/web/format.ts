import { formatSize } from '../domain/size.js';

/** 45s, 12m, 3h04m, 2d05h: short enough for a table cell. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return '–';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** vCPU/memory/disk as `2 / 1G / 8G`. */
export function formatSizing(vm: { vcpu: number; memoryMib: number; diskBytes: number }): string {
  return `${vm.vcpu} / ${formatSize(vm.memoryMib * 1024 ** 2)} / ${formatSize(vm.diskBytes)}`;
}

export function formatBytes(bytes: number | undefined): string {
  return bytes === undefined ? '–' : formatSize(Math.round(bytes));
}

export function formatPercent(value: number | undefined): string {
  if (value === undefined) return '–';
  return value >= 10 ? `${Math.round(value)}%` : `${value.toFixed(1)}%`;
}

/** An ISO time as the browser's local date and time, to the second. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
}

const ESCAPE_SEQUENCE = new RegExp(
  [
    '\\u001b\\[[0-?]*[ -/]*[@-~]', // CSI: colours, cursor moves, clears
    '\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)', // OSC: titles, hyperlinks
    '\\u001b[@-Z\\\\-_]', // other two-byte escapes
  ].join('|'),
  'g',
);

/**
 * Console text for a <pre>: terminal escape sequences dropped (they are noise
 * in a page), carriage returns of CRLF lines dropped, other control
 * characters but tab and newline shown as `?`. The text is rendered as text,
 * never as HTML.
 */
export function printableConsole(text: string): string {
  return (
    text
      .replace(ESCAPE_SEQUENCE, '')
      .replace(/\r\n/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?')
  );
}
