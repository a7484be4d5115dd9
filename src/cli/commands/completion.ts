import tab from '@bomb.sh/tab/commander';
import type { Command } from 'commander';

/**
 * `banger completion bash|zsh|fish|powershell` prints a completion script;
 * the shells then call `banger completion -- <words>` for suggestions.
 * Must be registered after every other command so all of them are covered.
 */
export function registerCompletion(program: Command): void {
  tab(program, { completionCommandName: 'completion' });
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
