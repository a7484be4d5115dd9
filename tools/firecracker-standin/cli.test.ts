import { describe, expect, it } from 'vitest';
import { ArgError, parseArgs, validInstanceId } from './cli.js';

describe('parseArgs', () => {
  it("takes Firecracker's flags in both spellings, with Firecracker's defaults", () => {
    const o = parseArgs(
      ['--api-sock', '/run/fc.sock', '--id=vm-1', '--level', 'Debug', '--show-level', '--no-seccomp'],
      {},
    );
    expect(o).toMatchObject({
      apiSock: '/run/fc.sock',
      id: 'vm-1',
      level: 'Debug',
      showLevel: true,
      noGuest: false,
    });
    expect(parseArgs([], {})).toMatchObject({ apiSock: '/run/firecracker.socket', id: 'anonymous-instance' });
  });

  it('turns on no-guest mode by flag or environment', () => {
    expect(parseArgs(['--no-guest'], {}).noGuest).toBe(true);
    expect(parseArgs([], { BANGER_STANDIN_NO_GUEST: '1' }).noGuest).toBe(true);
  });

  it.each([
    [['--bogus'], "Found argument 'bogus' which wasn't expected, or isn't valid in this context."],
    [['stray'], "Found argument 'stray' which wasn't expected, or isn't valid in this context."],
    [['--api-sock'], "The argument 'api-sock' requires a value, but none was supplied."],
    [['--id', 'a', '--id', 'b'], "The argument 'id' was provided more than once."],
    [['--version=yes'], "Argument 'version' does not take a value, but a value was supplied: 'yes'."],
    [['--no-api'], "Argument 'config-file' required, but not found."],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv, {})).toThrow(new ArgError(message));
  });

  it('validates instance ids like Firecracker (alphanumeric and dashes, 1-64)', () => {
    expect(validInstanceId('vm-01')).toBe(true);
    expect(validInstanceId('')).toBe(false);
    expect(validInstanceId('a_b')).toBe(false);
    expect(validInstanceId('x'.repeat(65))).toBe(false);
  });
});
