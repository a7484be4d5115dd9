import { useFollowBottom } from './use-follow-bottom.js';
import type { Operation } from './use-operation.js';

/**
 * A long operation's progress lines and outcome. The wrapper is always in
 * the page and is a polite live region, so screen readers hear each stage and
 * the end; a failure is also an alert. Errors are one line. A cancellable
 * operation offers Cancel while it runs (see useOperation).
 */
export function OperationView({ op, label }: { op: Operation; label: string }) {
  const lineCount = op.state === 'idle' ? 0 : op.lines.length;
  // A build can print hundreds of stages: the list scrolls, and follows the newest.
  const { ref, onScroll } = useFollowBottom<HTMLOListElement>(lineCount);
  return (
    <section class="operation" aria-label={label} aria-live="polite">
      {op.state !== 'idle' && (
        <>
          <p class="operation-title">
            {op.title}
            {op.state === 'running' && <span class="spinner" aria-hidden="true" />}
            {op.state === 'running' && op.cancel && (
              <button type="button" class="small" onClick={op.cancel}>
                Cancel
              </button>
            )}
          </p>
          {op.lines.length > 0 && (
            <ol class="progress-lines" ref={ref} onScroll={onScroll}>
              {op.lines.map((line, i) => (
                // Lines are only appended or the last one replaced: the index is stable.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <li key={i}>{line.text}</li>
              ))}
            </ol>
          )}
          {op.state === 'done' && <p class="outcome ok">{op.message}</p>}
          {op.state === 'cancelled' && <p class="outcome">cancelled</p>}
          {op.state === 'failed' && (
            <p class="outcome error" role="alert">
              error: {op.message}
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** A one-line error of a page's own data (a list that failed to load), or nothing. */
export function ErrorLine({ error }: { error: string | undefined }) {
  return error ? (
    <p class="error-line" role="alert">
      error: {error}
    </p>
  ) : null;
}
