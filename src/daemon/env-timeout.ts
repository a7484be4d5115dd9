import { AppError } from '../domain/errors.js';

/** The longest delay setTimeout honours; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A timeout in milliseconds from the environment variable `name` (e.g.
 * BANGER_READY_TIMEOUT_MS), or `fallback` when it is unset or empty. Anything
 * but a whole number from 1 to 2^31-1 is AppError('invalid_config') naming
 * the variable, so a typo never becomes a NaN or instant timeout.
 */
export function timeoutFromEnv(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const ms = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms <= MAX_TIMER_MS)) {
    throw new AppError(
      'invalid_config',
      `${name}=${JSON.stringify(text)} is not a timeout: use whole milliseconds from 1 to ${MAX_TIMER_MS}, or unset it for ${fallback}`,
    );
  }
  return ms;
}
