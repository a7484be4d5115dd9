import type { Command } from 'commander';
import { connect } from '../../client/autostart.js';
import { AppError } from '../../domain/errors.js';

/** Loads the TUI only when `banger tui` runs: react and ink cost start-up time every other command must not pay. */
async function loadTui() {
  // ink decides when it is imported that a CI environment (CI=...) gets no live screen, only the
  // last frame; someone who runs `banger tui` in a terminal wants the live screen whatever their env says.
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import('../../tui/main.js');
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  }
}

export function registerTuiCommand(program: Command): void {
  program
    .command('tui')
    .description('a live terminal dashboard of your VMs, images and kernels, with one-key actions (q quits)')
    .addHelpText(
      'after',
      [
        '',
        'Keys: ↑↓ select, s start, x stop, r restart, d delete (asks first), c create, e or Enter ssh,',
        'p ports; tab switches to images and kernels (p pull, d delete, g refresh); q or Ctrl-C quits.',
        'Needs a terminal (exit 2 otherwise); NO_COLOR turns colour off.',
      ].join('\n'),
    )
    .action(async () => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new AppError(
          'invalid_argument',
          'banger tui needs a terminal on stdin and stdout; in scripts use `banger vm list --json` or `banger events --json`',
        );
      }
      const { client } = await connect();
      try {
        const { runTui } = await loadTui();
        await runTui(client);
      } catch (err) {
        await client.close();
        throw err;
      }
      // Requests still in flight (a start waiting for SSH, a pull) are given up, as Ctrl-C gives up
      // a CLI command: the user has quit, and closing the client would wait for them to end.
      process.exit(0);
    });
}
