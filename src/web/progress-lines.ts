import type { StageLine } from './api.js';

/**
 * A long operation's progress as the lines a page shows, like the CLI prints
 * them: the `spec` stage as is, other stages as `→ message`, `[n/total]` when
 * the daemon counts, and repeated updates of one counting stage replacing
 * each other instead of piling up.
 */
export interface ProgressLine {
  stage: string | undefined;
  counting: boolean;
  text: string;
}

export function appendProgress(lines: readonly ProgressLine[], event: StageLine): ProgressLine[] {
  if (event.type === 'log') return [...lines, { stage: undefined, counting: false, text: event.message }];
  const counting = event.current !== undefined && event.total !== undefined;
  const counted = counting ? ` [${event.current}/${event.total}]` : '';
  const text = event.stage === 'spec' ? event.message : `→ ${event.message}${counted}`;
  const line = { stage: event.stage, counting, text };
  const last = lines.at(-1);
  if (counting && last?.counting && last.stage === event.stage) return [...lines.slice(0, -1), line];
  return [...lines, line];
}
