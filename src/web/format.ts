import * as readings from '../domain/readings.js';
import { formatSize } from '../domain/size.js';

/** The shared readings (src/domain/readings.ts), with the page's dash for unknown. */
const UNKNOWN = '–';
export const formatUptime = (seconds: number | undefined) => readings.formatUptime(seconds, UNKNOWN);
export const formatBytes = (bytes: number | undefined) => readings.formatBytes(bytes, UNKNOWN);
export const formatPercent = (value: number | undefined) => readings.formatPercent(value, UNKNOWN);

/** vCPU/memory/disk as `2 / 1G / 8G`. */
export function formatSizing(vm: { vcpu: number; memoryMib: number; diskBytes: number }): string {
  return `${vm.vcpu} / ${formatSize(vm.memoryMib * 1024 ** 2)} / ${formatSize(vm.diskBytes)}`;
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
