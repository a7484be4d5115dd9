import type { Command } from 'commander';
import { Option } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import { runGuestSsh } from '../../../client/guest-ssh.js';
import { checkWorkspace, copyWorkspace, GUEST_WORKSPACE, startTooling } from '../../../client/workspace.js';
import { AppError, toAppError } from '../../../domain/errors.js';
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

/** The guest command: in the workspace when there is one; a login shell when there is no command. */
function guestCommand(command: string[], workspace: boolean): string[] | undefined {
  if (!workspace) return command.length ? command : undefined;
  if (command.length === 0) return ['sh', '-c', `cd ${GUEST_WORKSPACE} && exec "\${SHELL:-/bin/sh}" -l`];
  return ['sh', '-c', `cd ${GUEST_WORKSPACE} && exec "$@"`, 'sh', ...command];
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
        vmRun(client, splitRunOperands([...(path ? [path] : []), ...cmd], process.argv), flags),
      ),
    );
}

async function vmRun(
  client: BangerClient,
  args: { path?: string; command: string[] },
  flags: RunFlags,
): Promise<void> {
  const source = await checkWorkspace({
    path: args.path,
    branch: flags.branch,
    from: flags.from,
    mode: flags.mode,
  });
  const aborter = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    aborter.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let name: string | undefined;
  let keep = !flags.rm;
  try {
    const created = await client
      .createVm({ ...createRequest(flags), wait: true }, progressPrinter(), aborter.signal)
      .catch((err: unknown) => {
        const e = toAppError(err);
        if (flags.rm && e.code === 'timeout') {
          keep = true;
          process.stderr.write(
            '--rm skipped: the VM is kept so you can inspect it (see the message below)\n',
          );
        }
        // A cancelled create is undone by the daemon; a timed-out one leaves the VM on purpose.
        throw e;
      });
    name = created.vm.name;
    const info = await client.vmSsh(name);
    if (source) {
      process.stderr.write(`→ copying ${source.root} to ${GUEST_WORKSPACE}\n`);
      const { files } = await copyWorkspace(info, source, {
        branch: flags.branch,
        from: flags.from,
        mode: flags.mode,
        signal: aborter.signal,
      });
      if (source.kind === 'git') process.stderr.write(`→ copied ${files} paths and the git metadata\n`);
      await startTooling(info, source);
    }
    if (interrupted) throw new AppError('cancelled', 'cancelled');
    const command = guestCommand(args.command, source !== undefined);
    const status = await runGuestSsh(info, {
      ...(command ? { command } : {}),
      onSignal,
      signal: aborter.signal,
    });
    if (args.command.length === 0 && !flags.rm) await remindIfRunning(client, name);
    process.exitCode = interrupted && status === 0 ? 130 : status;
  } catch (err) {
    throw interrupted ? new AppError('cancelled', 'cancelled; the VM is being cleaned up') : err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!keep && name !== undefined) {
      await client.deleteVm(name).then(
        () => process.stderr.write(`deleted ${name}\n`),
        (err: unknown) => {
          const e = toAppError(err);
          if (e.code !== 'not_found')
            process.stderr.write(`banger: could not delete ${name}: ${e.message}\n`);
        },
      );
    }
  }
}
