import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from './api.js';
import { routeInlineStyles } from './xterm-styles.js';

/** What the page shows beside the terminal. */
export type TerminalStatus =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'ended' }
  | { kind: 'error'; message: string };

/** The daemon's close codes (src/daemon/web/terminal-bridge.ts). */
const CLOSE_SHELL_ENDED = 1000;

/**
 * A shell in the VM, drawn by xterm.js into `box`: a one-time ticket from the
 * API (Bearer-authenticated), then a WebSocket that carries the terminal's
 * bytes both ways (docs/web-ui.md). The terminal follows its box's size
 * (window resizes, narrow layouts) and tells the daemon each new size.
 * Leaving the page (or closing the tab) closes the WebSocket, which ends the
 * shell.
 */
export function useTerminal(box: RefObject<HTMLDivElement | null>, vmName: string): TerminalStatus {
  const [status, setStatus] = useState<TerminalStatus>({ kind: 'connecting' });
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    setStatus({ kind: 'connecting' });
    const restoreStyles = routeInlineStyles();
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      scrollback: 5000,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    fit.fit();
    term.focus();

    let ws: WebSocket | undefined;
    let gone = false;
    // In the terminal itself too, where the user is looking; the page's alert line is for screen readers.
    const fail = (message: string) => {
      setStatus({ kind: 'error', message });
      term.write(`\r\n\x1b[31m${message.replace(/\n/g, '\r\n')}\x1b[0m\r\n`);
    };
    const send = (data: string | Uint8Array) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(data);
    };
    const encoder = new TextEncoder();
    const onData = term.onData((text) => send(encoder.encode(text)));
    const onBinary = term.onBinary((text) => send(Uint8Array.from(text, (c) => c.charCodeAt(0))));
    // The size is on the box too, for tests and for anyone inspecting the page.
    const showSize = () => {
      element.dataset.cols = String(term.cols);
      element.dataset.rows = String(term.rows);
    };
    showSize();
    const onResize = term.onResize(({ cols, rows }) => {
      showSize();
      send(JSON.stringify({ type: 'resize', cols, rows }));
    });

    // One fit per frame at most, whatever resized the box.
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => fit.fit());
    });
    observer.observe(element);

    void api.terminalTicket(vmName).then(
      ({ ticket }) => {
        if (gone) return;
        const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
        const url = `${scheme}://${location.host}/v1/web/terminal?cols=${term.cols}&rows=${term.rows}`;
        // The ticket travels as a subprotocol: a browser cannot add headers to a WebSocket.
        const socket = new WebSocket(url, ['banger-terminal', `banger-ticket.${ticket}`]);
        socket.binaryType = 'arraybuffer';
        let failed = false;
        socket.onopen = () => setStatus({ kind: 'open' });
        socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
          if (typeof event.data !== 'string') {
            term.write(new Uint8Array(event.data));
            return;
          }
          const message = errorMessage(event.data);
          if (message !== undefined) {
            failed = true;
            fail(message);
          }
        };
        socket.onclose = (event) => {
          if (gone || failed) return;
          if (event.code === CLOSE_SHELL_ENDED) setStatus({ kind: 'ended' });
          else fail('the connection to bangerd was lost (it stopped, or refused the terminal)');
        };
        ws = socket;
      },
      (err: unknown) => {
        if (!gone) fail(messageOf(err));
      },
    );

    return () => {
      gone = true;
      ws?.close();
      cancelAnimationFrame(frame);
      observer.disconnect();
      for (const d of [onData, onBinary, onResize]) d.dispose();
      term.dispose();
      restoreStyles();
    };
  }, [box, vmName]);
  return status;
}

/** The daemon's `{"type":"error","message":...}` text frame, or undefined for anything else. */
function errorMessage(text: string): string | undefined {
  try {
    const msg = JSON.parse(text) as { type?: unknown; message?: unknown };
    return msg.type === 'error' && typeof msg.message === 'string' ? msg.message : undefined;
  } catch {
    return undefined;
  }
}
