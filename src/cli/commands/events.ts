import type { Command } from 'commander';
import type { DaemonEvent } from '../../api/events.js';
import type { VmView } from '../../api/vms.js';
import { connect } from '../../client/autostart.js';
import { terminalSafe, terminalSafeJson } from '../terminal-safe.js';

const clock = (iso: string) => iso.slice(11, 19);

function vmLine(at: string, vm: VmView): string {
  const detail = vm.state === 'running' ? vm.guestIp : vm.lastError ? `(${vm.lastError})` : '';
  return `${clock(at)}  ${vm.name.padEnd(20)} ${vm.state.padEnd(9)} ${terminalSafe(detail)}`.trimEnd();
}

/** One event as the lines a person reads; the snapshot shows every VM as it is now. */
function eventLines(event: DaemonEvent): string[] {
  switch (event.type) {
    case 'snapshot':
      return event.vms.map((vm) => vmLine(event.at, vm));
    case 'vm':
      return [vmLine(event.at, event.vm)];
    case 'vm-removed':
      return [`${clock(event.at)}  ${event.name.padEnd(20)} deleted`];
  }
}

export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description('follow what happens to your VMs: their states now, then each change (Ctrl-C ends)')
    .option(
      '--json',
      'print each event as one line of JSON (NDJSON): a snapshot, then vm and vm-removed events',
    )
    .action(async (opts: { json?: boolean }) => {
      const { client } = await connect();
      const aborter = new AbortController();
      const stop = () => aborter.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        for await (const event of client.events(aborter.signal)) {
          const lines = opts.json ? [terminalSafeJson(JSON.stringify(event))] : eventLines(event);
          for (const line of lines) process.stdout.write(`${line}\n`);
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await client.close();
      }
    });
}
