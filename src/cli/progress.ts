import type { ProgressEvent, StageEvent } from '../api/progress.js';

type Event = StageEvent | Extract<ProgressEvent, { type: 'log' }>;

/**
 * Renders a daemon progress stream on stderr (stdout stays for data and for
 * the guest command's output). The `spec` stage is printed as is; other
 * stages as `→ message`, with `[n/total]` when the daemon counts; on a TTY
 * repeated updates of one counting stage overwrite each other.
 */
export function progressPrinter(prefix = ''): (event: Event) => void {
  const tty = process.stderr.isTTY === true;
  let lastCounting: string | undefined;
  return (event) => {
    if (event.type === 'log') {
      process.stderr.write(`${prefix}${event.message}\n`);
      return;
    }
    const counted =
      event.current !== undefined && event.total !== undefined ? ` [${event.current}/${event.total}]` : '';
    const line = event.stage === 'spec' ? event.message : `→ ${event.message}${counted}`;
    if (tty && counted && lastCounting === event.stage) process.stderr.write(`\x1b[1A\x1b[2K`);
    lastCounting = counted ? event.stage : undefined;
    process.stderr.write(`${prefix}${line}\n`);
  };
}
