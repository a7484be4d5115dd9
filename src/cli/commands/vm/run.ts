import type { Command } from 'commander';
import { Option } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import type { VmRunEvent } from '../../../client/vm-run.js';
import { AppError } from '../../../domain/errors.js';
import { progressPrinter } from '../../progress.js';
import { addCreateFlags, type CreateFlags, createRequest } from './create.js';
import { withClient } from './lifecycle.js';
import { remindIfRunning } from './ssh.js';

interface RunFlags extends CreateFlags {
  rm?: boolean;
  branch?: string;
  from?: string;
  mode?: 'git' | 'full_copy';
}

/**
 * Splits commander's operands at `--`: what comes before is PATH (at most
 * one), what comes after is the guest command. Commander does not say where
 * `--` was, so the process argv is consulted.
 */
export function splitRunOperands(
  operands: readonly string[],
  argv: readonly string[],
): { path?: string; command: string[] } {
  const dashdash = argv.indexOf('--');
  const command = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const before = operands.slice(0, operands.length - command.length);
  if (before.length > 1) {
    throw new AppError(
      'invalid_argument',
      `unexpected argument "${before[1]}": put the guest command after --, e.g. banger vm run ./repo -- make test`,
    );
  }
  return { ...(before[0] !== undefined ? { path: before[0] } : {}), command };
}

export function registerRunCommand(vm: Command): void {
  addCreateFlags(
    vm
      .command('run')
      .description(
        'create a VM and open a shell in it, or run a command: banger vm run [PATH] [--rm] [-- CMD...]',
      )
      .argument('[path]', 'a directory (usually a git repo) copied to /root/repo in the guest')
      .argument('[cmd...]', 'command to run in the guest, after --; its exit status becomes banger’s'),
  )
    .option('--rm', 'delete the VM when the session or command ends (also on Ctrl-C)')
    .option('--branch <branch>', 'create and check out this branch in the guest copy (workspace only)')
    .option('--from <ref>', 'start --branch from this commit-ish (default: HEAD)')
    .addOption(
      new Option('--mode <mode>', 'how to copy PATH: git (tracked + untracked files) or full_copy')
        .choices(['git', 'full_copy'])
        .default('git'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  banger vm run                          a fresh sandbox, interactive shell',
        '  banger vm run ./repo                   the repo at /root/repo, interactive shell there',
        '  banger vm run ./repo -- make test      run a command in /root/repo; its exit status is banger’s',
        '  banger vm run --rm -- ./script.sh      delete the VM when the command ends',
      ].join('\n'),
    )
    .action((path: string | undefined, cmd: string[], flags: RunFlags) =>
      withClient((client) =>
        runInTerminal(client, splitRunOperands([...(path ? [path] : []), ...cmd], process.argv), flags),
      ),
    );
}

/** `vm run` in the terminal: the shared operation, with this process's terminal, signals and stderr. */
async function runInTerminal(
  client: BangerClient,
  args: { path?: string; command: string[] },
  flags: RunFlags,
): Promise<void> {
  // Loaded on use: the workspace, SSH and run code are not needed by other commands' start-up.
  const [{ runGuestSsh }, { localRunner }, { vmRun }, { copyWorkspace, prepareWorkspace, startTooling }] =
    await Promise.all([
      import('../../../client/guest-ssh.js'),
      import('../../../client/local-runner.js'),
      import('../../../client/vm-run.js'),
      import('../../../client/workspace.js'),
    ]);
  const runner = localRunner();
  const workspace = await prepareWorkspace(runner, {
    path: args.path,
    branch: flags.branch,
    from: flags.from,
    mode: flags.mode,
  });
  const aborter = new AbortController();
  const onSignal = () => aborter.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressPrinter();
  try {
    const result = await vmRun(
      {
        client,
        copyWorkspace,
        startTooling: (info, ws) => startTooling(runner, info, ws),
        // While ssh runs, Ctrl-C goes to the guest and also cancels the operation (runGuestSsh tells us).
        session: (info, command, signal) =>
          runGuestSsh(info, { ...(command ? { command } : {}), onSignal, signal }),
        onEvent: (e) => printRunEvent(e, progress),
      },
      { create: createRequest(flags), workspace, command: args.command, rm: flags.rm === true },
      aborter.signal,
    );
    if (result.kept) await remindIfRunning(client, result.name);
    process.exitCode = result.status;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function printRunEvent(e: VmRunEvent, progress: ReturnType<typeof progressPrinter>): void {
  if (e.type === 'progress') {
    progress(e.event);
    return;
  }
  const line = runEventLine(e);
  if (line) process.stderr.write(`${line}\n`);
}

function runEventLine(e: Exclude<VmRunEvent, { type: 'progress' }>): string | undefined {
  switch (e.type) {
    case 'copying':
      return `→ copying ${e.root} to ${e.dest}`;
    case 'copied':
      return e.kind === 'git' ? `→ copied ${e.paths} paths and the git metadata` : undefined;
    case 'rm-skipped':
      return `--rm skipped: ${e.reason} (see the message below)`;
    case 'deleted':
      return `deleted ${e.name}`;
    case 'delete-failed':
      return `banger: could not delete ${e.name}: ${e.message}`;
    case 'created':
      return undefined;
  }
}
