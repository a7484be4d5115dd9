import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
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

describe('runSteps hooks and edges', () => {
  it('calls onStep, then beforeStep, then the step, then onDone with the time it took', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000 });
    try {
      const events: string[] = [];
      const step = (name: string, ms: number): Step => ({
        name,
        message: `doing ${name}`,
        run: async () => {
          events.push(`run ${name}`);
          vi.setSystemTime(Date.now() + ms);
        },
      });
      await runSteps([step('a', 5), step('b', 0)], {
        operation: 'op',
        onStep: (s) => events.push(`onStep ${s.name} ${s.message}`),
        beforeStep: async (s) => {
          events.push(`beforeStep ${s.name}`);
        },
        onDone: (s, ms) => events.push(`onDone ${s.name} ${ms}`),
      });
      expect(events).toEqual([
        'onStep a doing a',
        'beforeStep a',
        'run a',
        'onDone a 5',
        'onStep b doing b',
        'beforeStep b',
        'run b',
        'onDone b 0',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports no onDone for the failing step, and skips steps without an undo', async () => {
    const { log, step } = recorder();
    const plain: Step = { name: 'plain', message: '', run: async () => void log.push('run plain') };
    const done: string[] = [];
    await expect(
      runSteps([step('a'), plain, step('b', true)], { operation: 'x', onDone: (s) => done.push(s.name) }),
    ).rejects.toThrow('b broke');
    expect(log).toEqual(['run a', 'run plain', 'run b', 'undo b', 'undo a']);
    expect(done).toEqual(['a', 'plain']);
  });

  it('passes the failing step and its error to onUndoError, and still throws the original error', async () => {
    const undoErr = new Error('undo broke');
    const seen: [string, unknown][] = [];
    const bad: Step = {
      name: 'bad',
      message: '',
      run: async () => {
        throw new Error('run broke');
      },
      undo: async () => {
        throw undoErr;
      },
    };
    await expect(
      runSteps([bad], { operation: 'x', onUndoError: (s, e) => seen.push([s.name, e]) }),
    ).rejects.toThrow('run broke');
    expect(seen).toEqual([['bad', undoErr]]);
    // Without a handler a failing undo is swallowed too: the caller sees the original error.
    await expect(runSteps([bad], { operation: 'x' })).rejects.toThrow('run broke');
  });

  it('a failpoint names exactly one operation and step', async () => {
    const { log, step } = recorder();
    const failpoints = new Set(['create:b', 'delete:a', 'createa']);
    await runSteps([step('a')], { operation: 'create', failpoints });
    await expect(runSteps([step('a'), step('b')], { operation: 'create', failpoints })).rejects.toMatchObject(
      {
        code: 'operation_failed',
        message: 'failpoint create:b injected',
      },
    );
    expect(log).toEqual(['run a', 'run a', 'undo a']);
  });

  it('checks the signal before every step: an abort during a step undoes it and names the operation', async () => {
    const { log, step } = recorder();
    const aborter = new AbortController();
    const aborting: Step = { ...step('a'), run: async () => void aborter.abort() };
    await expect(
      runSteps([aborting, step('b')], { operation: 'vm create', signal: aborter.signal }),
    ).rejects.toMatchObject({ code: 'cancelled', message: 'vm create cancelled' });
    expect(log).toEqual(['undo a']);
  });
});

describe('failpointsFromEnv', () => {
  it('splits on commas, trims, drops empty entries, and is empty when unset', () => {
    expect([...failpointsFromEnv({ BANGER_FAILPOINTS: ' create:a ,, delete:b ,' })]).toEqual([
      'create:a',
      'delete:b',
    ]);
    expect(failpointsFromEnv({}).size).toBe(0);
    expect(failpointsFromEnv({ BANGER_FAILPOINTS: ' , ' }).size).toBe(0);
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
