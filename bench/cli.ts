// CLI start-up: wall time of `banger --version`, `vm list --json`,
// `daemon status --json` and a completion request against `node -e 0`, interleaved in one run so the
// ratios hold on a busy machine. The daemon (a private one in a temp HOME)
// is started first and stays up: its start is not what is measured.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { BANGER, createSandbox } from '../test/support/sandbox.js';
import { median, progressLog } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const log = progressLog(values.json);
const runs = Number(values.runs);

const sb = createSandbox();
const commands: Record<string, string[]> = {
  node: ['-e', '0'],
  version: [BANGER, '--version'],
  vm_list: [BANGER, 'vm', 'list', '--json'],
  daemon_status: [BANGER, 'daemon', 'status', '--json'],
  // One TAB: the shell asks for `banger vm show <TAB>`, which asks the daemon for live names.
  complete_vm_show: [BANGER, 'complete', '--', 'vm', 'show', ''],
};

function timeOnce(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { env: sb.env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

try {
  if (sb.banger(['daemon', 'status']).status !== 0) throw new Error('the sandbox daemon did not start');
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) timeOnce(args); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(commands)) samples[name]?.push(timeOnce(args));
    log(`run ${i + 1}/${runs}`);
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))]));
  const base = medians.node ?? 1;
  const ratios = Object.fromEntries(
    Object.entries(medians)
      .filter(([k]) => k !== 'node')
      .map(([k, v]) => [k, Number((v / base).toFixed(2))]),
  );
  process.stdout.write(`${JSON.stringify({ runs, median_ms: medians, ratio_vs_node: ratios }, null, 2)}\n`);
} finally {
  sb.cleanup();
}
