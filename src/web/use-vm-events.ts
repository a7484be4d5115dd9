import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, messageOf } from './api.js';
import { applyVmEvent, type VmRow } from './vm-rows.js';

/** Whether the event stream is up; when it is not, why (one line), and whether retrying can help. */
export type Connection =
  | { state: 'connecting' }
  | { state: 'up' }
  | { state: 'down'; reason: string; retrying: boolean };

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 4000;
/** How long a new stream may take to bring its first line before it is given up and retried. */
const FIRST_LINE_MS = 5000;

/**
 * The VM rows, kept live by the daemon's event stream (the same one the TUI
 * follows), with no polling. When the stream drops (the daemon stopped or
 * restarted) the rows stay as they were, `connection` says so, and the stream
 * is opened again after a growing pause (reset once a line arrives). Its
 * first line is a fresh snapshot, so nothing missed in between is lost. A 401
 * ends the retries: only a new login helps.
 */
export function useVmEvents(): { rows: VmRow[] | undefined; connection: Connection } {
  const [rows, setRows] = useState<VmRow[] | undefined>(undefined);
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });

  useEffect(() => {
    const aborter = new AbortController();
    const { signal } = aborter;
    const follow = async () => {
      let pause = FIRST_RETRY_MS;
      while (!signal.aborted) {
        // Each attempt must bring its first line (the snapshot, sent at once) in time: a request
        // that reached a daemon on its way out can stay unanswered, and would stall the page.
        const attempt = new AbortController();
        const abortAttempt = () => attempt.abort();
        signal.addEventListener('abort', abortAttempt);
        const silence = setTimeout(abortAttempt, FIRST_LINE_MS);
        try {
          for await (const event of api.events(attempt.signal)) {
            clearTimeout(silence);
            pause = FIRST_RETRY_MS;
            setConnection((c) => (c.state === 'up' ? c : { state: 'up' }));
            setRows((r) => applyVmEvent(r ?? [], event, Date.now()));
          }
        } catch (err) {
          if (signal.aborted) return;
          const expired = err instanceof ApiError && err.code === 'unauthorized';
          const reason = attempt.signal.aborted ? 'the daemon did not answer' : messageOf(err);
          setConnection({ state: 'down', reason, retrying: !expired });
          if (expired) return;
        } finally {
          clearTimeout(silence);
          signal.removeEventListener('abort', abortAttempt);
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, MAX_RETRY_MS);
      }
    };
    void follow();
    return () => aborter.abort();
  }, []);

  return { rows, connection };
}
