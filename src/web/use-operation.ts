import { useRef, useState } from 'preact/hooks';
import { messageOf, type OnStage } from './api.js';
import { appendProgress, type ProgressLine } from './progress-lines.js';

/** One user-started operation at a time per page area: its progress and how it ended. */
export type Operation =
  | { state: 'idle' }
  | { state: 'running'; title: string; lines: ProgressLine[]; cancel: (() => void) | undefined }
  | { state: 'done'; title: string; lines: ProgressLine[]; message: string }
  | { state: 'failed'; title: string; lines: ProgressLine[]; message: string }
  | { state: 'cancelled'; title: string; lines: ProgressLine[] };

/** What a unit of work gets: where to report stages, and the signal that cancels it. */
interface Work {
  onStage: OnStage;
  signal: AbortSignal;
}

/**
 * Runs `work` (which reports progress through `onStage` and resolves with
 * a result that `summary` turns into one line) and keeps what the page shows
 * of it. Resolves with the result so callers can move on (e.g. to the new
 * VM), or undefined when it failed or was cancelled. A second run while one
 * is going is refused.
 *
 * With `cancellable`, the page offers Cancel: it aborts the request, and
 * closing a long operation's stream is how the daemon is told to stop it
 * and undo what it did (a half-made VM or image is removed). Leaving the page
 * does not cancel: the operation goes on in the daemon, and its result shows
 * where it belongs (the VM list, the images).
 */
export function useOperation() {
  const [op, setOp] = useState<Operation>({ state: 'idle' });
  const busy = useRef(false);

  async function run<T>(
    title: string,
    work: (w: Work) => Promise<T>,
    summary: (result: T) => string,
    o: { cancellable?: boolean } = {},
  ): Promise<T | undefined> {
    if (busy.current) return undefined;
    busy.current = true;
    const aborter = new AbortController();
    const cancel = o.cancellable ? () => aborter.abort() : undefined;
    let lines: ProgressLine[] = [];
    setOp({ state: 'running', title, lines, cancel });
    try {
      const result = await work({
        onStage: (event) => {
          lines = appendProgress(lines, event);
          setOp({ state: 'running', title, lines, cancel });
        },
        signal: aborter.signal,
      });
      setOp({ state: 'done', title, lines, message: summary(result) });
      return result;
    } catch (err) {
      setOp(
        aborter.signal.aborted
          ? { state: 'cancelled', title, lines }
          : { state: 'failed', title, lines, message: messageOf(err) },
      );
      return undefined;
    } finally {
      busy.current = false;
    }
  }

  return { op, run, running: op.state === 'running' };
}
