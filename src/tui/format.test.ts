import { describe, expect, it } from 'vitest';
import {
  cpuPercent,
  fitWidth,
  formatBytes,
  formatPercent,
  formatSizing,
  formatUptime,
  lastLines,
  oneLine,
  printable,
} from './format.js';

describe('printable', () => {
  it('drops colour codes, cursor moves and window titles, and marks other controls', () => {
    expect(printable('\x1b[0;32mOK\x1b[0m done')).toBe('OK done');
    expect(printable('a\x1b[2Jb\x1b[10;5Hc')).toBe('abc');
    expect(printable('\x1b]0;owned\x07title')).toBe('title');
    expect(printable('\x1b]0;owned\x1b\\title')).toBe('title');
    expect(printable('bell\x07 del\x7f c1\u009b')).toBe('bell? del? c1?');
    expect(printable('tab\there\r')).toBe('tab here');
  });
  it('leaves ordinary text, unicode included, alone', () => {
    expect(printable('héllo → wörld')).toBe('héllo → wörld');
  });
});

describe('fitWidth', () => {
  it('pads short text and cuts long text with an ellipsis, to exactly the width', () => {
    expect(fitWidth('ab', 4)).toBe('ab  ');
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('abcd', 4)).toBe('abcd');
    expect(fitWidth('abc', 0)).toBe('');
  });
});

describe('numbers', () => {
  it('formats uptime at each scale', () => {
    expect(formatUptime(undefined)).toBe('-');
    expect(formatUptime(59.9)).toBe('59s');
    expect(formatUptime(60)).toBe('1m');
    expect(formatUptime(3599)).toBe('59m');
    expect(formatUptime(3600 + 4 * 60)).toBe('1h04m');
    expect(formatUptime(2 * 86400 + 5 * 3600 + 59)).toBe('2d05h');
  });
  it('formats sizing, bytes and percentages', () => {
    expect(formatSizing({ vcpu: 2, memoryMib: 1024, diskBytes: 8 * 1024 ** 3 })).toBe('2/1G/8G');
    expect(formatSizing({ vcpu: 1, memoryMib: 256, diskBytes: 256 * 1024 ** 2 })).toBe('1/256M/256M');
    expect(formatBytes(undefined)).toBe('-');
    expect(formatBytes(1.5 * 1024 ** 2)).toBe('1.5M');
    expect(formatPercent(undefined)).toBe('-');
    expect(formatPercent(3.04)).toBe('3.0%');
    expect(formatPercent(42.6)).toBe('43%');
  });
  it('computes CPU use between two samples, as a share of one core', () => {
    expect(cpuPercent(undefined, { cpuSeconds: 5, at: 1000 })).toBeUndefined();
    expect(cpuPercent({ cpuSeconds: 1, at: 0 }, { cpuSeconds: 1.5, at: 2000 })).toBe(25);
    expect(cpuPercent({ cpuSeconds: 1, at: 1000 }, { cpuSeconds: 2, at: 1000 })).toBeUndefined();
    expect(cpuPercent({ cpuSeconds: 2, at: 0 }, { cpuSeconds: 1, at: 1000 })).toBe(0);
  });
});

describe('oneLine', () => {
  it('keeps the first line of the message, never a stack', () => {
    const err = new Error('first line\nsecond line');
    expect(oneLine(err)).toBe('first line');
    expect(oneLine('plain \x1b[31mred\x1b[0m')).toBe('plain red');
    expect(oneLine(new Error(''))).toBe('unknown error');
  });
});

describe('lastLines', () => {
  it('keeps the last non-empty lines, made printable', () => {
    expect(lastLines('a\n\nb\r\n\x1b[1mc\x1b[0m\n', 2)).toEqual(['b', 'c']);
    expect(lastLines('', 3)).toEqual([]);
  });
});
