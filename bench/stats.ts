// What every benchmark script shares: the statistic it reports, where its progress goes,
// how a step is timed, and how bad input and failures end the program.

/** The median of the samples (0 for none): robust against the odd slow run on a busy machine. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  if (s.length === 0) return 0;
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Progress lines on stderr, silent under --json so stdout stays one JSON document. */
export function progressLog(json: boolean | undefined): (line: string) => void {
  return (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  };
}

/** Wall time of `fn` in whole milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return Math.round(performance.now() - started);
}

/** A failure the user can act on: one line on stderr (no stack trace) and `exitCode`. */
export class BenchError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad command-line input: exit code 2, as banger's own usage errors. */
export function usage(message: string): BenchError {
  return new BenchError(message, 2);
}

/** A flag's value as a whole number ≥ 1, or a usage error naming the flag. */
export function positiveInt(flag: string, value: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(value)) {
    throw usage(`--${flag} must be a whole number from 1 to 999999, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Runs a benchmark's main: a BenchError ends it with its one line and exit code; anything else is a bug. */
export async function benchMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exitCode = err.exitCode;
  }
}
