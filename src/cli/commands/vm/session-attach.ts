import type { Command } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import { withClient } from './lifecycle.js';
import { sessionOutput } from './session.js';

/** Ctrl-]: detaches, as in telnet; the session keeps running. */
const DETACH_BYTE = 0x1d;

/**
 * Sends what the user types to the session's stdin until Ctrl-] or the end
 * of our stdin, which detach without ending the session (its stdin stays
 * open: `vm session stop` or the program itself ends it).
 */
async function pumpInput(
  client: BangerClient,
  ref: string,
  name: string,
  token: string,
  detached: AbortSignal,
): Promise<void> {
  const stdin = process.stdin;
  const raw = stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  try {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      if (detached.aborted) return;
      const cut = raw ? chunk.indexOf(DETACH_BYTE) : -1;
      const data = cut >= 0 ? chunk.subarray(0, cut) : chunk;
      if (data.length > 0) await client.sessionInput(ref, name, { data: data.toString('base64'), token });
      if (cut >= 0) return;
    }
  } finally {
    if (raw) stdin.setRawMode(false);
  }
}

export function registerSessionAttach(session: Command): void {
  session
    .command('attach')
    .description(
      'attach to a pipe-mode session: its output here, your input to its stdin; Ctrl-] or end of input detaches',
    )
    .argument('<vm>', 'VM name, id or unique id prefix')
    .argument('<name>', 'session name')
    .action((ref: string, name: string) =>
      withClient(async (client) => {
        // Refused (one line) for a detached or ended session, or one attached in another terminal.
        const { token } = await client.attachSession(ref, name);
        const detach = new AbortController();
        const output = (async () => {
          for await (const chunk of sessionOutput(client, ref, name, {
            stream: 'stdout',
            follow: true,
            token,
          })) {
            if (detach.signal.aborted) return;
            process.stdout.write(chunk);
          }
        })();
        const input = pumpInput(client, ref, name, token, detach.signal);
        // Whichever ends first: the user detached, or the session ended (its output is all shown).
        const how = await Promise.race([
          input.then(() => 'detached' as const),
          output.then(() => 'ended' as const),
        ]);
        detach.abort();
        await client.detachSession(ref, name, token).catch(() => undefined);
        if (how === 'detached') {
          process.stdin.pause();
          process.stderr.write(`detached from session ${name}; it keeps running\n`);
          process.exit(0); // the output loop may be waiting on the daemon; nothing of ours is left to finish
        }
        const { session: end } = await client.showSession(ref, name);
        process.stderr.write(
          `session ${name} ended${end.exitCode !== undefined ? ` (code ${end.exitCode})` : ''}\n`,
        );
        process.exit(0);
      }),
    );
}
