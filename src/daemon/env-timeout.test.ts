import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { timeoutFromEnv } from './env-timeout.js';

const NAME = 'BANGER_READY_TIMEOUT_MS';
const read = (value: string | undefined) => timeoutFromEnv({ [NAME]: value }, NAME, 180_000);

describe('timeoutFromEnv', () => {
  it('uses the fallback when the variable is unset or empty', () => {
    expect(timeoutFromEnv({}, NAME, 180_000)).toBe(180_000);
    expect(read(undefined)).toBe(180_000);
    expect(read('')).toBe(180_000);
  });

  it('reads whole milliseconds from 1 to 2^31-1', () => {
    expect(read('1')).toBe(1);
    expect(read('5000')).toBe(5000);
    expect(read('2147483647')).toBe(2 ** 31 - 1);
  });

  it.each([
    'abc',
    '0',
    '-1',
    '1.5',
    '1e3',
    ' 5000',
    '5000ms',
    '0x10',
    '05000',
    '2147483648',
    '99999999999',
    'NaN',
    'Infinity',
  ])('refuses %j in one line naming the variable', (value) => {
    const err = errorOf(() => read(value));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toBe(
      `${NAME}=${JSON.stringify(value)} is not a timeout: use whole milliseconds from 1 to 2147483647, or unset it for 180000`,
    );
  });
});
