import { describe, expect, it } from 'vitest';
import { cpuPercent, formatBytes, formatPercent, formatUptime } from './readings.js';

describe('readings', () => {
  it('formats uptime, bytes and percentages short, with the caller’s mark for unknown', () => {
    expect(formatUptime(undefined)).toBe('-');
    expect(formatUptime(undefined, '–')).toBe('–');
    expect(formatUptime(59.9)).toBe('59s');
    expect(formatUptime(60)).toBe('1m');
    expect(formatUptime(3599)).toBe('59m');
    expect(formatUptime(3600 + 4 * 60)).toBe('1h04m');
    expect(formatUptime(2 * 86400 + 5 * 3600 + 59)).toBe('2d05h');
    expect(formatBytes(undefined, '?')).toBe('?');
    expect(formatBytes(1.5 * 1024 ** 2)).toBe('1.5M');
    expect(formatPercent(undefined)).toBe('-');
    expect(formatPercent(3.04)).toBe('3.0%');
    expect(formatPercent(42.6)).toBe('43%');
  });

  it('gives CPU use as the share of one core between two samples of one process', () => {
    const before = { cpuSeconds: 10, at: 0, pid: 7 };
    expect(cpuPercent(before, { cpuSeconds: 11, at: 2000, pid: 7 })).toBe(50);
    expect(cpuPercent(before, { cpuSeconds: 10, at: 2000, pid: 7 })).toBe(0);
    expect(cpuPercent({ cpuSeconds: 1, at: 0 }, { cpuSeconds: 1.5, at: 2000 })).toBe(25);
  });

  it('has no CPU figure without an earlier sample, across a restart, or for no time passed', () => {
    expect(cpuPercent(undefined, { cpuSeconds: 1, at: 1000, pid: 7 })).toBeUndefined();
    expect(
      cpuPercent({ cpuSeconds: 10, at: 0, pid: 7 }, { cpuSeconds: 1, at: 1000, pid: 8 }),
    ).toBeUndefined();
    expect(
      cpuPercent({ cpuSeconds: 10, at: 1000, pid: 7 }, { cpuSeconds: 11, at: 1000, pid: 7 }),
    ).toBeUndefined();
  });
});
