import { formatSize } from '../domain/size.js';

export { cpuPercent, formatBytes, formatPercent, formatUptime } from '../domain/readings.js';

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

/** vCPU/memory/disk as `2/1G/8G`. */
export function formatSizing(vm: { vcpu: number; memoryMib: number; diskBytes: number }): string {
  return `${vm.vcpu}/${formatSize(vm.memoryMib * 1024 ** 2)}/${formatSize(vm.diskBytes)}`;
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
