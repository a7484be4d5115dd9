import type { Command } from 'commander';
import type { BangerClient } from '../../../api/client.js';
import { terminalSafeStream } from '../../terminal-safe.js';
import { withClient } from './lifecycle.js';
import { sessionOutput } from './session.js';

/** Ctrl-]: detaches, as in telnet; the session keeps running. */
const DETACH_BYTE = 0x1d;

/** Input goes in pieces of at most this much (the agent reads requests of at most 64 KiB, base64 included). */
const INPUT_PIECE_BYTES = 32 * 1024;

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
      for (let at = 0; at < data.length; at += INPUT_PIECE_BYTES) {
        const piece = data.subarray(at, at + INPUT_PIECE_BYTES);
        await client.sessionInput(ref, name, { data: piece.toString('base64'), token });
      }
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
    .option('--raw', "on a terminal too, print the session's bytes unchanged (escape sequences included)")
    .action((ref: string, name: string, o: { raw?: boolean }) =>
      withClient(async (client) => {
        // Refused (one line) for a detached or ended session, or one attached in another terminal.
        const { token } = await client.attachSession(ref, name);
        const detach = new AbortController();
        const output = (async () => {
          const chunks = sessionOutput(client, ref, name, { stream: 'stdout', follow: true, token });
          // The session's bytes: on a terminal only colours pass, other controls are shown escaped.
          const shown = process.stdout.isTTY && !o.raw ? terminalSafeStream(chunks) : chunks;
          for await (const chunk of shown) {
            if (detach.signal.aborted) return;
            process.stdout.write(chunk);
          }
        })();
        const input = pumpInput(client, ref, name, token, detach.signal);
        // Whichever ends first: the user detached, or the session ended (its output is all shown).
        // Either failing (the VM stopped, the lease lost) ends the attach too, with its one line.
        let how: 'detached' | 'ended';
        try {
          how = await Promise.race([
            input.then(() => 'detached' as const),
            output.then(() => 'ended' as const),
          ]);
        } finally {
          detach.abort();
          if (process.stdin.isTTY) process.stdin.setRawMode(false);
          process.stdin.destroy(); // ends the input loop, so nothing keeps the process after an error
          await client.detachSession(ref, name, token).catch(() => undefined);
        }
        if (how === 'detached') {
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
