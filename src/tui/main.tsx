import { render } from 'ink';
import type { BangerClient } from '../api/client.js';
import type { VmSshInfo } from '../api/vms.js';
import { runGuestSsh } from '../client/guest-ssh.js';
import { App, type Outcome, type Place } from './app.js';
import { oneLine } from './format.js';
import type { Status } from './status-line.js';

// The alternate screen: the TUI draws on its own page and the shell's scrollback comes back untouched on exit.
const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';

/**
 * `banger tui`: the dashboard until `q` or Ctrl-C. An ssh session unmounts
 * it and gives the terminal to `ssh`; afterwards it is drawn again where the
 * user was (same view, same VM), with the session's outcome on the status line.
 */
export async function runTui(client: BangerClient): Promise<void> {
  let place: Place = { view: 'vms', selectedId: undefined, status: undefined };
  process.stdout.write(ENTER_ALT_SCREEN);
  try {
    for (;;) {
      const outcome = await renderUntilLeft(client, place);
      if (outcome.type === 'quit') return;
      process.stdout.write(LEAVE_ALT_SCREEN);
      const status = await sshSession(client, outcome.info);
      process.stdout.write(ENTER_ALT_SCREEN);
      place = { ...outcome.place, status };
    }
  } finally {
    process.stdout.write(LEAVE_ALT_SCREEN);
  }
}

async function renderUntilLeft(client: BangerClient, place: Place): Promise<Outcome> {
  let outcome: Outcome = { type: 'quit' };
  const app = render(
    <App
      client={client}
      place={place}
      onLeave={(o) => {
        outcome = o;
      }}
    />,
    // Ctrl-C is a key like q (the app handles it), so leaving always goes through the same path.
    { exitOnCtrlC: false },
  );
  // A terminal closed or a `kill` still restores the screen and the terminal's mode.
  const quit = () => app.unmount();
  process.once('SIGTERM', quit);
  process.once('SIGHUP', quit);
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGTERM', quit);
    process.off('SIGHUP', quit);
  }
  return outcome;
}

/** The ssh session on the normal screen; then the line the CLI prints after one, as a status. */
async function sshSession(client: BangerClient, info: VmSshInfo): Promise<Status | undefined> {
  process.stdout.write(
    `banger: ssh to ${info.name} (${info.guestIp}); exit the shell to return to the TUI\n`,
  );
  // ink has stopped listening, but the stream may still be reading the terminal: it would take
  // keystrokes meant for ssh. Paused, it stops reading; the next render resumes it.
  process.stdin.pause();
  try {
    await runGuestSsh(info, { tty: true });
  } catch (err) {
    return { text: oneLine(err), tone: 'error' };
  }
  const { vm } = await client.showVm(info.id).catch(() => ({ vm: undefined }));
  if (vm?.state !== 'running') return { text: `ssh session with ${info.name} ended`, tone: 'done' };
  return { text: `${vm.name} is still running; x stops it, d deletes it`, tone: 'done' };
}
