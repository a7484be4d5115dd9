import type { Command } from 'commander';
import type { DoctorCheck, DoctorReport } from '../../api/schemas.js';
import { connect, resolvePaths } from '../../client/autostart.js';
import { AppError } from '../../domain/errors.js';
import { printJson } from '../output.js';

const MARK = { pass: '✓', warn: '!', fail: '✗' } as const;

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check that this host can run banger; prints a fix for each problem')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await collect();
      if (opts.json) printJson(report);
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });
}

/** Runs the daemon's checks, adding whether the daemon itself could be reached. */
async function collect(): Promise<DoctorReport> {
  const reachable: DoctorCheck = { id: 'daemon', title: 'bangerd reachable', status: 'pass', detail: '' };
  try {
    const { client, paths } = await connect();
    const report = await client.doctor();
    await client.close();
    reachable.detail = paths.socket;
    return { ok: report.ok, checks: [...report.checks, reachable] };
  } catch (err) {
    // A socket that may be someone else's is refused like every other command: one line, exit 6.
    if (!(err instanceof AppError) || err.code === 'internal' || err.code === 'host_unsupported') throw err;
    reachable.status = 'fail';
    reachable.detail = err.message;
    reachable.fix =
      err.code === 'invalid_config'
        ? 'fix the config file'
        : `read ${resolvePaths().daemonLog} for why bangerd did not start`;
    return { ok: false, checks: [reachable] };
  }
}

function printReport(report: DoctorReport): void {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status]} ${check.title.padEnd(width)}  ${check.detail}`);
    if (check.fix && check.status !== 'pass') {
      lines.push(`  ${' '.padEnd(width)}  fix: ${check.fix}`);
      for (const line of check.fixLines ?? []) lines.push(`  ${' '.padEnd(width)}       ${line}`);
    }
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  lines.push(
    '',
    failed
      ? `${failed} problem(s) must be fixed before banger can run VMs`
      : warned
        ? `ready, with ${warned} warning(s)`
        : 'ready',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
