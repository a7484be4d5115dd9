import { formatSize } from '../domain/size.js';

/**
 * Text for one line of the screen. Console output and error messages come
 * from the guest or the host and may carry escape sequences: colour codes
 * (dropped, they would only be noise here) and sequences that move the
 * cursor, clear the screen or retitle the window (dropped too, or they
 * would act on the TUI). Other control characters become `?`; tabs a space.
 */
export function printable(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x1b) {
      i = endOfEscape(text, i);
      continue;
    }
    if (code === 0x09) out += ' ';
    else if (code === 0x0d) continue;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += '?';
    else out += text[i];
  }
  return out;
}

/** The index of the last character of the escape sequence that starts at `start`. */
function endOfEscape(text: string, start: number): number {
  const kind = text[start + 1];
  if (kind === '[') {
    // CSI: parameters and intermediates, then one final byte in @..~.
    let i = start + 2;
    while (i < text.length && !/[@-~]/.test(text[i] ?? '')) i++;
    return i;
  }
  if (kind === ']') {
    // OSC: ends with BEL or ESC \.
    let i = start + 2;
    while (i < text.length && text.charCodeAt(i) !== 0x07 && text.charCodeAt(i) !== 0x1b) i++;
    return text.charCodeAt(i) === 0x1b ? i + 1 : i;
  }
  return start + 1;
}

/** `text` cut or padded to exactly `width` columns; a cut ends with `…`. */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padEnd(width);
  return `${text.slice(0, width - 1)}…`;
}

/** 45s, 12m, 3h04m, 2d05h: short enough for a table column. */
export function formatUptime(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** vCPU/memory/disk as `2/1G/8G`. */
export function formatSizing(vm: { vcpu: number; memoryMib: number; diskBytes: number }): string {
  return `${vm.vcpu}/${formatSize(vm.memoryMib * 1024 ** 2)}/${formatSize(vm.diskBytes)}`;
}

/** Bytes as a short size for a column (`120.5M`); `-` when unknown. */
export function formatBytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : formatSize(Math.round(bytes));
}

/** CPU use between two samples of a process's CPU seconds, as a percentage of one core. */
export function cpuPercent(
  before: { cpuSeconds: number; at: number } | undefined,
  after: { cpuSeconds: number; at: number },
): number | undefined {
  if (!before) return undefined;
  const wallSeconds = (after.at - before.at) / 1000;
  if (wallSeconds <= 0) return undefined;
  return Math.max(0, ((after.cpuSeconds - before.cpuSeconds) / wallSeconds) * 100);
}

export function formatPercent(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 10 ? `${Math.round(value)}%` : `${value.toFixed(1)}%`;
}

/** A one-line message of an error, whatever was thrown: never a stack trace. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return printable(message.split('\n')[0] ?? '').trim() || 'unknown error';
}

/** The last `count` non-empty lines of `text`, made printable. */
export function lastLines(text: string, count: number): string[] {
  return text
    .split('\n')
    .map(printable)
    .filter((line) => line.trim() !== '')
    .slice(-count);
}
