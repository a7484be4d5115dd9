import { describe, expect, it } from 'vitest';
import { cpuBetween } from './use-usage.js';

describe('cpuBetween', () => {
  it('is the share of one core between two samples of one process', () => {
    const before = { cpuSeconds: 10, at: 0, pid: 7 };
    expect(cpuBetween(before, { cpuSeconds: 11, at: 2000, pid: 7 })).toBe(50);
    expect(cpuBetween(before, { cpuSeconds: 10, at: 2000, pid: 7 })).toBe(0);
  });

  it('has no figure without an earlier sample, across a restart, or for no time passed', () => {
    expect(cpuBetween(undefined, { cpuSeconds: 1, at: 1000, pid: 7 })).toBeUndefined();
    expect(
      cpuBetween({ cpuSeconds: 10, at: 0, pid: 7 }, { cpuSeconds: 1, at: 1000, pid: 8 }),
    ).toBeUndefined();
    expect(
      cpuBetween({ cpuSeconds: 10, at: 1000, pid: 7 }, { cpuSeconds: 11, at: 1000, pid: 7 }),
    ).toBeUndefined();
  });
});
