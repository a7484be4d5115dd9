import { describe, expect, it } from 'vitest';
import { CommandError } from '../host/runner.js';
import { FakeRunner } from './fake-runner.js';

describe('FakeRunner', () => {
  it('fails an unscripted command and records it', async () => {
    const fake = new FakeRunner().on(['ip', 'link'], { stdout: 'ok' });
    await expect(fake.run(['ip', 'addr', 'add'])).rejects.toThrow(
      'FakeRunner: unscripted command ip addr add',
    );
    expect(fake.unscripted).toEqual(['ip addr add']);
    expect(fake.calls).toEqual([['ip', 'addr', 'add']]);
  });

  it('lets unscripted commands succeed empty only when lenient', async () => {
    const fake = new FakeRunner({ lenient: true });
    expect(await fake.run(['anything', 'at all'])).toEqual({
      argv: ['anything', 'at all'],
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(fake.unscripted).toEqual([]);
  });

  it('matches rules in the order they were added, by argv prefix or predicate', async () => {
    const fake = new FakeRunner()
      .on(['ip', 'link', 'show'], { stdout: 'first' })
      .on(['ip', 'link'], { stdout: 'second' })
      .on(
        (argv) => argv.length === 1,
        (argv) => ({ stdout: `one ${argv[0]}` }),
      );
    expect((await fake.run(['ip', 'link', 'show', 'dev', 'x'])).stdout).toBe('first');
    expect((await fake.run(['ip', 'link', 'set'])).stdout).toBe('second');
    expect((await fake.run(['ls'])).stdout).toBe('one ls');
    await expect(fake.run(['ip'])).resolves.toMatchObject({ stdout: 'one ip' });
    await expect(fake.run(['ip', 'addr'])).rejects.toThrow(/unscripted/);
    expect(fake.commandLines).toEqual(['ip link show dev x', 'ip link set', 'ls', 'ip', 'ip addr']);
  });

  it('throws CommandError for a non-zero exit unless check is false, and streams output', async () => {
    const fake = new FakeRunner().on(['false'], { exitCode: 3, stdout: 'out', stderr: 'bad' });
    const err = await fake.run(['false']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).exitCode_).toBe(3);
    const chunks: string[] = [];
    const result = await fake.run(['false'], {
      check: false,
      onOutput: (chunk, stream) => chunks.push(`${stream}:${chunk.toString()}`),
    });
    expect(result).toMatchObject({ exitCode: 3, stdout: 'out', stderr: 'bad' });
    expect(chunks).toEqual(['stdout:out', 'stderr:bad']);
  });

  it('streams nothing for empty output', async () => {
    const chunks: string[] = [];
    await new FakeRunner().on(['true'], {}).run(['true'], { onOutput: (c) => chunks.push(c.toString()) });
    expect(chunks).toEqual([]);
  });
});
