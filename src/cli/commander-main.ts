import { runProgram } from './program.js';
import { runCli } from './run.js';

// The full CLI: every command through commander (see main.ts for the commands that skip it).
await runCli(() => runProgram(process.argv));
