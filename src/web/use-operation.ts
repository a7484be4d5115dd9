import { useRef, useState } from 'preact/hooks';
import { messageOf, type OnStage } from './api.js';
import { appendProgress, type ProgressLine } from './progress-lines.js';

/** One user-started operation at a time per page area: its progress and how it ended. */
export type Operation =
  | { state: 'idle' }
  | { state: 'running'; title: string; lines: ProgressLine[] }
  | { state: 'done'; title: string; lines: ProgressLine[]; message: string }
  | { state: 'failed'; title: string; lines: ProgressLine[]; message: string };

/**
 * Runs `work` (which reports progress through the OnStage it is given and
 * resolves with a one-line summary) and keeps what the page shows of it.
 * Resolves with the result so callers can move on (e.g. to the new VM), or
 * undefined when it failed. A second run while one is going is refused.
 */
export function useOperation() {
  const [op, setOp] = useState<Operation>({ state: 'idle' });
  const busy = useRef(false);

  async function run<T>(
    title: string,
    work: (onStage: OnStage) => Promise<T>,
    summary: (result: T) => string,
  ): Promise<T | undefined> {
    if (busy.current) return undefined;
    busy.current = true;
    let lines: ProgressLine[] = [];
    setOp({ state: 'running', title, lines });
    try {
      const result = await work((event) => {
        lines = appendProgress(lines, event);
        setOp({ state: 'running', title, lines });
      });
      setOp({ state: 'done', title, lines, message: summary(result) });
      return result;
    } catch (err) {
      setOp({ state: 'failed', title, lines, message: messageOf(err) });
      return undefined;
    } finally {
      busy.current = false;
    }
  }

  return { op, run, running: op.state === 'running', clear: () => setOp({ state: 'idle' }) };
}
