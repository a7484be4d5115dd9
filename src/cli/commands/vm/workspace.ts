import type { Command } from 'commander';
import { Option } from 'commander';
import type { WorkspacePrepareEvent } from '../../../client/workspace-prepare.js';
import { terminalSafeJson } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';

interface PrepareFlags {
  guestPath: string;
  mode: 'git' | 'full_copy';
  readonly?: boolean;
  branch?: string;
  from?: string;
  json?: boolean;
}

/** `banger vm workspace prepare`: the workspace copy of `vm run`, into a running VM. */
export function registerWorkspaceCommands(vm: Command): void {
  const workspace = vm.command('workspace').description('copy a workspace into a running VM');
  workspace
    .command('prepare')
    .description(
      'copy a directory (usually a git repo) into a running VM, as vm run does: banger vm workspace prepare VM [PATH]',
    )
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('[path]', 'the directory to copy; inside a git repo, its top level is copied', '.')
    .option('--guest-path <dir>', 'where the copy goes in the guest: a new or empty directory', '/root/repo')
    .addOption(
      new Option(
        '--mode <mode>',
        'how to copy PATH: git (tracked + untracked, non-ignored files, and the git metadata) or full_copy (everything; needed for submodules)',
      )
        .choices(['git', 'full_copy'])
        .default('git'),
    )
    .option('--readonly', 'leave the guest copy read-only, for root too (a read-only bind mount)')
    .option('--branch <branch>', 'create and check out this branch in the guest copy')
    .option('--from <ref>', 'start --branch from this commit-ish (default: HEAD)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  banger vm workspace prepare dev                       this repo to /root/repo in dev',
        '  banger vm workspace prepare dev ../lib --guest-path /root/lib --readonly',
        '  banger vm workspace prepare dev . --mode full_copy    a repo with submodules',
      ].join('\n'),
    )
    .action((ref: string, path: string, flags: PrepareFlags) =>
      withClient(async (client) => {
        const [{ localRunner }, { prepareVmWorkspace }] = await Promise.all([
          import('../../../client/local-runner.js'),
          import('../../../client/workspace-prepare.js'),
        ]);
        const result = await prepareVmWorkspace(
          client,
          localRunner(),
          ref,
          {
            path,
            guestPath: flags.guestPath,
            mode: flags.mode,
            readonly: flags.readonly === true,
            branch: flags.branch,
            from: flags.from,
          },
          (e) => process.stderr.write(`${eventLine(e)}\n`),
        );
        if (flags.json) {
          process.stdout.write(`${terminalSafeJson(JSON.stringify(result, null, 2))}\n`);
          return;
        }
        const what = result.kind === 'git' ? `${result.paths} paths and the git metadata` : 'the whole tree';
        process.stdout.write(
          `prepared ${result.vm}:${result.guestPath} (${what}${result.readonly ? ', read-only' : ''})\n`,
        );
      }),
    );
}

function eventLine(e: WorkspacePrepareEvent): string {
  switch (e.type) {
    case 'copying':
      return `→ copying ${e.root} to ${e.vm}:${e.dest}`;
    case 'read-only':
      return `→ making ${e.dest} read-only`;
  }
}
