import type { WebSocket } from 'ws';
import { toAppError } from '../../domain/errors.js';
import type { Logger } from '../../host/logger.js';
import type { OpenTerminal, TerminalService, TerminalSize } from '../services/vm/terminals.js';

/** Close codes the page tells apart: the shell ended, or the terminal could not be opened. */
const CLOSE_SHELL_ENDED = 1000;
const CLOSE_FAILED = 4000;

/** Past this much output queued for the browser, stop reading the terminal until it drains. */
const HIGH_WATER = 1024 * 1024;
/** Counting input as VM activity at most this often. */
const TOUCH_EVERY_MS = 10_000;

/**
 * Whole numbers from 1 to 1000 (the agent's range), or undefined. Used for the
 * WebSocket's query and for resize messages alike.
 */
export function parseSize(cols: unknown, rows: unknown): TerminalSize | undefined {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1000;
  return ok(cols) && ok(rows) ? { cols: cols as number, rows: rows as number } : undefined;
}

/**
 * Connects an accepted WebSocket to a new terminal in the VM (docs/web-ui.md):
 * binary frames carry the terminal's bytes both ways; a text frame from the
 * page is a control message (`{"type":"resize","cols":N,"rows":N}`); a text
 * frame to the page is `{"type":"error","message":...}`, sent once before
 * closing with CLOSE_FAILED when the terminal cannot be opened. Closing the
 * WebSocket (the tab closed) destroys the agent connection, so the guest's
 * shell is hung up; the shell ending closes the WebSocket with CLOSE_SHELL_ENDED.
 */
export async function bridgeTerminal(
  ws: WebSocket,
  vm: string,
  size: TerminalSize,
  deps: { terminals: TerminalService; logger: Logger },
): Promise<void> {
  // What the page sends while the terminal is being opened (keys, a resize) waits for it.
  const early: Array<[Buffer, boolean]> = [];
  const keep = (data: Buffer, isBinary: boolean) => early.push([data, isBinary]);
  ws.on('message', keep);
  let term: OpenTerminal;
  try {
    term = await deps.terminals.open(vm, size);
  } catch (err) {
    const message = toAppError(err).message;
    deps.logger.debug({ vm, msg: message }, 'web terminal not opened');
    ws.send(JSON.stringify({ type: 'error', message }));
    ws.close(CLOSE_FAILED, 'the terminal could not be opened');
    return;
  }
  const { stream, pty } = term;
  stream.on('error', () => {}); // a reset ends the stream like a close; nothing to report
  if (ws.readyState !== ws.OPEN) {
    stream.destroy(); // the page went away while the terminal was opening
    return;
  }
  deps.logger.info({ vm: term.vm, pty }, 'web terminal opened');

  stream.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (stream.isPaused() && ws.bufferedAmount < HIGH_WATER / 2) stream.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) stream.pause();
  });
  stream.on('close', () => {
    if (ws.readyState === ws.OPEN) ws.close(CLOSE_SHELL_ENDED, 'the shell ended');
  });
  ws.on('close', () => {
    stream.destroy();
    deps.logger.info({ vm: term.vm, pty }, 'web terminal closed');
  });

  const resize = resizer(deps, vm, pty);
  let touchedAt = 0;
  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      stream.write(data);
      if (Date.now() - touchedAt > TOUCH_EVERY_MS) {
        touchedAt = Date.now();
        deps.terminals.touch(vm);
      }
      return;
    }
    // Unknown or malformed control messages are ignored: they come from our own page.
    const msg = parseJson(data.toString('utf8'));
    const wanted = msg?.type === 'resize' ? parseSize(msg.cols, msg.rows) : undefined;
    if (wanted) resize(wanted);
  };
  ws.off('message', keep);
  ws.on('message', onMessage);
  for (const [data, isBinary] of early) onMessage(data, isBinary);
  stream.resume();
}

/**
 * Resizes one at a time (each is a request on a connection of its own), and
 * only to the latest size asked for: a window dragged wide sends many.
 */
function resizer(
  deps: { terminals: TerminalService; logger: Logger },
  vm: string,
  pty: string,
): (size: TerminalSize) => void {
  let wanted: TerminalSize | undefined;
  let running = false;
  const next = async (): Promise<void> => {
    running = true;
    while (wanted) {
      const size = wanted;
      wanted = undefined;
      await deps.terminals
        .resize(vm, pty, size)
        .catch((err: unknown) =>
          deps.logger.debug({ vm, msg: toAppError(err).message }, 'terminal resize failed'),
        );
    }
    running = false;
  };
  return (size) => {
    wanted = size;
    if (!running) void next();
  };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
