import { fastCommand } from './fast-path.js';
import { runCli } from './run.js';

// The banger CLI (dist/banger.js). The hottest commands run from this small bundle; any other
// is handed to the full CLI (commander-main.ts, built as dist/chunks/cli.js with its own copy of
// what it shares with this file), which is loaded only then.
const fast = fastCommand(process.argv.slice(2));
if (fast) await runCli(fast);
else await import('./commander-main.js');
