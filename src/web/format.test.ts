import { describe, expect, it } from 'vitest';
import { formatSizing, formatUptime, printableConsole } from './format.js';

describe('format', () => {
  it('shortens uptimes and sizes for table cells', () => {
    expect(formatUptime(undefined)).toBe('–');
    expect([45, 720, 3 * 3600 + 4 * 60, 2 * 86400 + 5 * 3600].map(formatUptime)).toEqual([
      '45s',
      '12m',
      '3h04m',
      '2d05h',
    ]);
    expect(formatSizing({ vcpu: 2, memoryMib: 1024, diskBytes: 8 * 1024 ** 3 })).toBe('2 / 1G / 8G');
  });

  it('drops terminal escapes from console text and marks other control characters', () => {
    const ESC = '\u001b';
    const text = `${ESC}[32mok${ESC}[0m\r\n${ESC}]0;title\u0007boot\u0001\tdone\n`;
    expect(printableConsole(text)).toBe('ok\nboot?\tdone\n');
  });
});
