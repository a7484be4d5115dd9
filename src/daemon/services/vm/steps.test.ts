import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from './keyed-mutex.js';
import { failpointsFromEnv, runSteps, type Step } from './steps.js';
import { testPauseFromEnv } from './test-pause.js';

function recorder() {
  const log: string[] = [];
  const step = (name: string, fail = false): Step => ({
    name,
    message: name,
    run: async () => {
      log.push(`run ${name}`);
      if (fail) throw new Error(`${name} broke`);
    },
    undo: async () => {
      log.push(`undo ${name}`);
    },
  });
  return { log, step };
}

describe('runSteps', () => {
  it('runs every step in order', async () => {
    const { log, step } = recorder();
    await runSteps([step('a'), step('b')], { operation: 'create' });
    expect(log).toEqual(['run a', 'run b']);
  });

  it('undoes completed steps in reverse, including the one that failed, and rethrows', async () => {
    const { log, step } = recorder();
    await expect(
      runSteps([step('a'), step('b'), step('c', true), step('d')], { operation: 'x' }),
    ).rejects.toThrow('c broke');
    expect(log).toEqual(['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
  });

  it('a failpoint fails before its step runs; earlier steps are undone', async () => {
    const { log, step } = recorder();
    const failpoints = failpointsFromEnv({ BANGER_FAILPOINTS: 'create:b, other:a' });
    await expect(runSteps([step('a'), step('b')], { operation: 'create', failpoints })).rejects.toThrow(
      'failpoint create:b injected',
    );
    expect(log).toEqual(['run a', 'undo a']);
  });

  it('a failing undo is reported and the other undos still run', async () => {
    const log: string[] = [];
    const bad: Step = {
      name: 'bad',
      message: '',
      run: async () => {},
      undo: async () => {
        throw new Error('undo broke');
      },
    };
    const { step } = recorder();
    const last = step('last', true);
    await expect(
      runSteps([step('first'), bad, last], { operation: 'x', onUndoError: (s) => log.push(s.name) }),
    ).rejects.toThrow('last broke');
    expect(log).toEqual(['bad']);
  });

  it('awaits beforeStep before each step runs; a test pause holds the operation there', async () => {
    const { log, step } = recorder();
    const pause = testPauseFromEnv({ BANGER_TEST_PAUSE: 'create:b' }, pino({ level: 'silent' }));
    const running = runSteps([step('a'), step('b')], {
      operation: 'create',
      beforeStep: (s) => pause(`create:${s.name}`),
    });
    let settled = false;
    void running.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(log).toEqual(['run a']);
    expect(settled).toBe(false);
    await expect(testPauseFromEnv({}, pino({ level: 'silent' }))('create:b')).resolves.toBeUndefined();
  });

  it('stops at an aborted signal', async () => {
    const { log, step } = recorder();
    const aborter = new AbortController();
    aborter.abort();
    await expect(runSteps([step('a')], { operation: 'x', signal: aborter.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
    expect(log).toEqual([]);
  });
});

describe('KeyedMutex', () => {
  it('serializes one key and lets other keys run in parallel', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    const job = (key: string, label: string, ms: number) =>
      mutex.run(key, async () => {
        events.push(`start ${label}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${label}`);
      });
    await Promise.all([job('a', 'a1', 30), job('a', 'a2', 1), job('b', 'b1', 1)]);
    expect(events.indexOf('end a1')).toBeLessThan(events.indexOf('start a2'));
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'));
    expect(mutex.busy('a')).toBe(false);
  });

  it('a failed operation does not block the next one', async () => {
    const mutex = new KeyedMutex();
    await expect(mutex.run('k', () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(mutex.run('k', async () => 5)).resolves.toBe(5);
  });
});
