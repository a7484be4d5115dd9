import { describe, expect, it } from 'vitest';
import { isDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s250ms', 90_250],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(isDuration(text)).toBe(true);
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2', 's', '2 s', '-2s', '1.5s', '2sec', '2S', ' 2s', '2s '])(
    'refuses %j with one line',
    (text) => {
      expect(isDuration(text)).toBe(false);
      expect(() => parseDuration(text, 'auto_stop_stale_after')).toThrow(
        `invalid auto_stop_stale_after "${text}"; use a number with ms, s, m, h or d, e.g. "30s" or "1h30m"`,
      );
    },
  );

  it('refuses a duration beyond the safe integer range', () => {
    expect(() => parseDuration('99999999999999999d')).toThrow('duration "99999999999999999d" is too long');
  });
});
