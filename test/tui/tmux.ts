import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A real terminal for `banger tui`: a detached tmux session on a private
 * server (its own socket, its own environment), driven with send-keys and
 * read with capture-pane, as a person would use it.
 */
export interface TmuxTerminal {
  /** The screen as text, one string per line. */
  screen(): string[];
  /** The screen with its escape sequences (colours, inverse). */
  screenWithEscapes(): string;
  /** Sends tmux key names (`Enter`, `Escape`, `Down`) or, with `literal`, text as typed. */
  keys(keys: string[], literal?: boolean): void;
  /** A tmux format about the pane, e.g. `#{alternate_on}`. */
  paneFormat(format: string): string;
  /** Everything the program wrote to the terminal so far (tmux pipe-pane), transient frames included. */
  output(): string;
  /** Waits until `match` accepts the screen; fails after `ms` with the screen in the message. Returns the time it took. */
  waitFor(what: string, match: (lines: string[]) => boolean, ms: number): Promise<number>;
  kill(): void;
}

export function startTmux(o: {
  dir: string;
  env: Record<string, string>;
  width: number;
  height: number;
  /** Shell command to run in the pane. */
  command: string;
}): TmuxTerminal {
  const socket = join(o.dir, 'tmux.sock');
  const log = join(o.dir, 'tmux-output.log');
  const tmux = (args: string[]) => {
    const r = spawnSync('tmux', ['-S', socket, ...args], { env: o.env, encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  };
  tmux([
    'new-session',
    '-d',
    '-x',
    String(o.width),
    '-y',
    String(o.height),
    'sh',
    '-c',
    // The pane stays after the command ends, so the test can read what the terminal was left with.
    `${o.command}; sleep 3600`,
  ]);
  tmux(['pipe-pane', '-o', `cat >> '${log}'`]);
  const screen = () => tmux(['capture-pane', '-p']).replace(/\n$/, '').split('\n');
  return {
    screen,
    screenWithEscapes: () => tmux(['capture-pane', '-p', '-e']),
    keys: (keys, literal = false) => tmux(['send-keys', ...(literal ? ['-l'] : []), ...keys]),
    paneFormat: (format) => tmux(['display-message', '-p', format]).trim(),
    output: () => {
      try {
        return readFileSync(log, 'utf8');
      } catch {
        return '';
      }
    },
    waitFor: async (what, match, ms) => {
      const start = Date.now();
      let last: string[] = [];
      while (Date.now() - start < ms) {
        last = screen();
        if (match(last)) return Date.now() - start;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${what}: not on screen within ${ms} ms; the screen:\n${last.join('\n')}`);
    },
    kill: () => {
      spawnSync('tmux', ['-S', socket, 'kill-server'], { env: o.env });
    },
  };
}
