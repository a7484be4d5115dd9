import { AppError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const DURATION_RE = /^(?:[0-9]+(?:ms|s|m|h|d))+$/;

/** True for "500ms", "2s", "10m", "1h30m", "1d": one or more number-unit pairs, no spaces. */
export function isDuration(text: string): boolean {
  return DURATION_RE.test(text);
}

/** Parses a duration such as "2s", "10m" or "1h30m" into milliseconds. */
export function parseDuration(text: string, what = 'duration'): number {
  if (!isDuration(text)) {
    throw new AppError(
      'invalid_argument',
      `invalid ${what} "${text}"; use a number with ms, s, m, h or d, e.g. "30s" or "1h30m"`,
    );
  }
  let ms = 0;
  for (const [, value, unit] of text.matchAll(/([0-9]+)(ms|s|m|h|d)/g)) {
    // Stryker disable next-line LogicalOperator: the regex only yields the units of UNIT_MS
    ms += Number(value) * (UNIT_MS[unit ?? 's'] ?? 1);
  }
  if (!Number.isSafeInteger(ms)) throw new AppError('invalid_argument', `${what} "${text}" is too long`);
  return ms;
}
