import { VERSION } from '../domain/version.js';
import { showDaemonStatus } from './commands/daemon-status.js';
import { listVms } from './commands/vm/list.js';

/**
 * The hottest commands in their plain forms, run without commander: loading
 * it and building the command tree would be most of their start-up. Each runs
 * the very action its commander command runs, so what they print and how they
 * fail is the same. Any other argv (another flag, --help, a typo) gets
 * undefined and goes through commander.
 */
export function fastCommand(args: readonly string[]): (() => Promise<void>) | undefined {
  const [verb, sub, flag, ...rest] = args;
  if (args.length === 1 && (verb === '-V' || verb === '--version')) {
    return async () => {
      process.stdout.write(`${VERSION}\n`);
    };
  }
  if (rest.length > 0 || (flag !== undefined && flag !== '--json')) return undefined;
  const opts = flag === undefined ? {} : { json: true };
  if (verb === 'vm' && (sub === 'list' || sub === 'ls')) return () => listVms(opts);
  if (verb === 'daemon' && sub === 'status') return () => showDaemonStatus(opts);
  return undefined;
}
