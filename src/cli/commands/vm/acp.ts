import type { Command } from 'commander';
import { withClient } from './lifecycle.js';

/**
 * `banger vm acp VM`: an ACP agent in the guest on this process's stdio, for
 * editors that spawn ACP agents (Zed, …). stdout carries only the agent's
 * bytes; banger's own messages go to stderr.
 */
export function registerAcpCommand(vm: Command): void {
  vm.command('acp')
    .description(
      'run an ACP (Agent Client Protocol) agent in a running VM on this stdio: banger vm acp VM [--agent CMD]',
    )
    .argument('<vm>', 'VM name, id or unique id prefix')
    .option('--agent <cmd>', 'the agent command line, run by the guest shell (default: "opencode acp")')
    .option(
      '--cwd <dir>',
      "the agent's directory in the guest (default: /root/repo if it exists, else /root)",
    )
    .addHelpText(
      'after',
      [
        '',
        'stdin and stdout are the protocol, byte for byte (no terminal); the exit status is the agent’s.',
        'Exit 127: the agent command is not installed in the guest; exit 2: --cwd is not a directory there.',
        '',
        'Example, an editor’s agent server entry (e.g. Zed’s agent_servers):',
        '  { "command": "banger", "args": ["vm", "acp", "dev", "--agent", "opencode acp"] }',
      ].join('\n'),
    )
    .action((ref: string, opts: { agent?: string; cwd?: string }) =>
      withClient(async (client) => {
        const info = await client.vmSsh(ref);
        const [{ runGuestSsh }, { guestAcpCommand }] = await Promise.all([
          import('../../../client/guest-ssh.js'),
          import('../../../client/guest-acp.js'),
        ]);
        const command = guestAcpCommand(info, { agent: opts.agent, cwd: opts.cwd });
        process.exitCode = await runGuestSsh(info, { command, tty: false });
      }),
    );
}
