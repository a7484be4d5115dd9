import { describe, expect, it } from 'vitest';
import { fastCommand } from './fast-path.js';

describe('fastCommand', () => {
  it('takes only the plain forms of the hottest commands', () => {
    for (const args of [
      ['--version'],
      ['-V'],
      ['vm', 'list'],
      ['vm', 'ls', '--json'],
      ['daemon', 'status'],
      ['daemon', 'status', '--json'],
    ]) {
      expect(fastCommand(args), args.join(' ')).toBeTypeOf('function');
    }
  });

  it('leaves everything else to commander (help, other flags, extra words, other commands)', () => {
    for (const args of [
      [],
      ['--version', 'vm'],
      ['vm'],
      ['vm', 'list', '--help'],
      ['vm', 'list', '-h'],
      ['vm', 'list', '--json', '--json'],
      ['vm', 'list', '--jsn'],
      ['vm', 'list', 'extra'],
      ['vm', 'show', 'dev'],
      ['daemon', 'stop'],
      ['daemon', 'status', '--json', 'x'],
      ['help', 'vm'],
    ]) {
      expect(fastCommand(args), args.join(' ')).toBeUndefined();
    }
  });
});
