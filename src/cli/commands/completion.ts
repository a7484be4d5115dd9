import type tabForCommander from '@bomb.sh/tab/commander';
import type { Command } from 'commander';

/** @bomb.sh/tab's commander adapter; main.ts loads it only when a completion command runs. */
export type Tab = typeof tabForCommander;

/**
 * `banger completion bash|zsh|fish|powershell` prints a completion script;
 * the shells then call `banger complete -- <words>` for suggestions.
 * Must be registered after every other command so all of them are covered.
 * Without `tab` (any other command) only a look-alike command is registered,
 * for --help: loading the completion library costs every command's start-up.
 */
export function registerCompletion(program: Command, tab: Tab | undefined): void {
  if (tab) tab(program, { completionCommandName: 'completion' });
  else program.command('completion').argument('<shell>', 'bash, zsh, fish or powershell');
  const cmd = program.commands.find((c) => c.name() === 'completion');
  cmd
    ?.description('print a shell completion script: banger completion bash|zsh|fish|powershell')
    .addHelpText(
      'after',
      [
        '',
        'Load it:',
        '  bash:        banger completion bash | sudo tee /etc/bash_completion.d/banger',
        '  zsh:         banger completion zsh > ~/.zfunc/_banger   (with ~/.zfunc on fpath)',
        '  fish:        banger completion fish > ~/.config/fish/completions/banger.fish',
        '  powershell:  banger completion powershell | Out-String | Invoke-Expression',
      ].join('\n'),
    );
}
