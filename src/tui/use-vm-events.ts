import { useEffect, useReducer, useState } from 'react';
import type { BangerClient } from '../api/client.js';
import type { DaemonEvent } from '../api/events.js';
import { oneLine } from './format.js';
import { applyEvent, moveSelection, selectByName, type VmListState } from './vm-list.js';

type ListAction =
  | { type: 'event'; event: DaemonEvent }
  | { type: 'move'; delta: number }
  | { type: 'select-name'; name: string };

function reduce(state: VmListState, action: ListAction): VmListState {
  switch (action.type) {
    case 'event':
      return applyEvent(state, action.event);
    case 'move':
      return moveSelection(state, action.delta);
    case 'select-name':
      return selectByName(state, action.name);
  }
}

/** Whether the event stream is up; when it is not, why (one line) — the TUI shows a banner. */
export type Connection = { up: true } | { up: false; reason: string };

/** How long to wait before opening the stream again after the daemon went away. */
const RECONNECT_MS = 1000;

/**
 * The VM list, kept live by the daemon's event stream (no polling). When the
 * stream ends (the daemon stopped or restarted) the rows stay as they were,
 * `connection` says so, and the stream is opened again every second; its
 * first line is a fresh snapshot, so nothing missed in between is lost.
 */
export function useVmEvents(client: BangerClient, initialSelectedId: string | undefined) {
  const [list, dispatch] = useReducer(reduce, { vms: [], selectedId: initialSelectedId });
  const [connection, setConnection] = useState<Connection | undefined>(undefined);

  useEffect(() => {
    const aborter = new AbortController();
    const { signal } = aborter;
    const follow = async () => {
      while (!signal.aborted) {
        try {
          for await (const event of client.events(signal)) {
            setConnection({ up: true });
            dispatch({ type: 'event', event });
          }
        } catch (err) {
          if (signal.aborted) return;
          setConnection({ up: false, reason: oneLine(err) });
        }
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    };
    void follow();
    return () => aborter.abort();
  }, [client]);

  return { list, connection, dispatch };
}
