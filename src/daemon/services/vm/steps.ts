import { AppError } from '../../../domain/errors.js';

/** One step of a multi-step operation: `run` does it, `undo` reverses it if a later step fails. */
export interface Step {
  name: string;
  /** Shown as the progress message while the step runs. */
  message: string;
  run(): Promise<void>;
  undo?(): Promise<void>;
}

export interface StepRunOptions {
  /** Called before each step with its name and message. */
  onStep?: (step: Step) => void;
  /** Awaited before each step runs (after onStep): the test-only pause seam (test-pause.ts). */
  beforeStep?: (step: Step) => Promise<void>;
  /** Called after each step with how long it took. */
  onDone?: (step: Step, ms: number) => void;
  /** Called for an undo that failed; the original error is still the one thrown. */
  onUndoError?: (step: Step, err: unknown) => void;
  /** `<operation>:<step>` names for which a failure is injected (tests; see failpointsFromEnv). */
  failpoints?: ReadonlySet<string>;
  operation: string;
  signal?: AbortSignal;
}

/**
 * Runs steps in order. When one fails (or the signal aborts), the undos of
 * the steps that completed run in reverse order and the original error is
 * rethrown, so a failed operation leaves nothing behind. Undos should be
 * idempotent and must not throw for "already gone".
 */
export async function runSteps(steps: readonly Step[], o: StepRunOptions): Promise<void> {
  const done: Step[] = [];
  try {
    for (const step of steps) {
      if (o.signal?.aborted) throw new AppError('cancelled', `${o.operation} cancelled`);
      o.onStep?.(step);
      await o.beforeStep?.(step);
      const started = Date.now();
      if (o.failpoints?.has(`${o.operation}:${step.name}`)) {
        throw new AppError('operation_failed', `failpoint ${o.operation}:${step.name} injected`);
      }
      // Pushed before running: a step that fails half-way still gets its undo.
      done.push(step);
      await step.run();
      o.onDone?.(step, Date.now() - started);
    }
  } catch (err) {
    for (const step of done.reverse()) {
      try {
        await step.undo?.();
      } catch (undoErr) {
        o.onUndoError?.(step, undoErr);
      }
    }
    throw err;
  }
}

/**
 * Failpoints from `BANGER_FAILPOINTS` (comma-separated `operation:step`),
 * read by the daemon at start. Tests use them to prove every step's undo.
 */
export function failpointsFromEnv(env: Record<string, string | undefined>): ReadonlySet<string> {
  return new Set(
    (env.BANGER_FAILPOINTS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
