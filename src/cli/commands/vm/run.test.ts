import { describe, expect, it } from 'vitest';
import { splitRunOperands } from './run.js';

describe('splitRunOperands', () => {
  const argv = (...rest: string[]) => ['node', 'banger', 'vm', 'run', ...rest];

  it('bare, workspace, command and both', () => {
    expect(splitRunOperands([], argv())).toEqual({ command: [] });
    expect(splitRunOperands(['./repo'], argv('./repo'))).toEqual({ path: './repo', command: [] });
    expect(splitRunOperands(['true'], argv('--rm', '--', 'true'))).toEqual({ command: ['true'] });
    expect(splitRunOperands(['./r', 'make', 'test'], argv('./r', '--', 'make', 'test'))).toEqual({
      path: './r',
      command: ['make', 'test'],
    });
  });

  it('a command word without -- is refused with the fix', () => {
    expect(() => splitRunOperands(['./r', 'make'], argv('./r', 'make'))).toThrow(/after --/);
  });
});
