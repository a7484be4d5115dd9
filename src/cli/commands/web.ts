import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { connect } from '../../client/autostart.js';
import { writeLoginFile } from '../../client/web-login-file.js';
import { printJson } from '../output.js';

/** `xdg-open` on PATH, if any: how a link is opened in the user's browser on Linux desktops. */
function findOpener(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'xdg-open');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Opens `file` (a page that redirects to the login link, client/web-login-file.ts)
 * in the background; its output is ignored and banger does not wait for it.
 * Never the link itself: every local user can read a process's arguments.
 */
function openInBrowser(opener: string, file: string): void {
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.once('error', () => {});
  child.unref();
}

export function registerWebCommand(program: Command): void {
  program
    .command('web')
    .description('log a browser into the web UI: prints a one-time link (and opens it on a desktop)')
    .option('--json', 'print {"url": ...} and open nothing')
    .option('--no-open', 'print the link only, do not start a browser')
    .addHelpText(
      'after',
      [
        '',
        'The web UI is off until web_listen_addr is set in ~/.config/banger/config.toml, e.g.',
        '  web_listen_addr = "127.0.0.1:7777"',
        'and the daemon restarted (banger daemon stop). The link works once, for 2 minutes; it',
        'logs in the browser tab that opens it, until the tab closes or the daemon restarts.',
        'On a terminal with xdg-open on PATH the link is opened in your browser unless --no-open,',
        'through a private file in the runtime dir (never on a command line others can read).',
        'See docs/web-ui.md for the security model.',
      ].join('\n'),
    )
    .action(async (opts: { json?: boolean; open: boolean }) => {
      const { client, paths } = await connect();
      const { url } = await client.webLogin();
      await client.close();
      if (opts.json) return printJson({ url });
      process.stdout.write(`${url}\n`);
      const opener = opts.open && process.stdout.isTTY ? findOpener() : undefined;
      if (opener === undefined) {
        process.stderr.write('open this link in your browser within 2 minutes; it works once\n');
        return;
      }
      openInBrowser(opener, writeLoginFile(url, paths));
      process.stderr.write('opened in your browser (xdg-open); the link works once, for 2 minutes\n');
    });
}
