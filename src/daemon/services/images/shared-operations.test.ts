import { describe, expect, it } from 'vitest';
import { type OperationProgress, SharedOperations } from './shared-operations.js';

const id = { key: 'image:x', what: 'image x is being built' };

/** An operation that emits `started`, then waits until released or aborted. */
function gated() {
  let release: (v: string) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const done = new Promise<string>((resolve, reject) => {
    release = resolve;
    fail = reject;
  });
  let calls = 0;
  let seenSignal: AbortSignal | undefined;
  const start = async (emit: (e: OperationProgress) => void, signal: AbortSignal) => {
    calls++;
    seenSignal = signal;
    emit({ stage: 'build', message: 'started' });
    signal.addEventListener('abort', () => fail(new Error('aborted')));
    return done;
  };
  return {
    start,
    release: (v: string) => release(v),
    fail: (e: Error) => fail(e),
    calls: () => calls,
    signal: () => seenSignal,
  };
}

describe('SharedOperations', () => {
  it('runs one operation per key; joiners get later progress and the same result', async () => {
    const ops = new SharedOperations();
    const op = gated();
    const first: string[] = [];
    const second: string[] = [];
    const a = ops.run(id, (e) => first.push(e.message), op.start);
    await Promise.resolve();
    await Promise.resolve();
    const b = ops.run(id, (e) => second.push(e.message), op.start);
    expect(ops.has('image:x')).toBe(true);
    op.release('ok');
    expect(await Promise.all([a, b])).toEqual(['ok', 'ok']);
    expect(op.calls()).toBe(1);
    expect(first).toEqual(['started']);
    expect(second).toEqual([]); // joined after the event
    expect(ops.has('image:x')).toBe(false);
  });

  it('shares a failure, then lets the next caller start afresh', async () => {
    const ops = new SharedOperations();
    const op = gated();
    const a = ops.run(id, () => {}, op.start);
    const b = ops.run(id, () => {}, op.start);
    op.fail(new Error('mmdebstrap failed'));
    await expect(a).rejects.toThrow('mmdebstrap failed');
    await expect(b).rejects.toThrow('mmdebstrap failed');
    const again = gated();
    const c = ops.run(id, () => {}, again.start);
    again.release('second');
    expect(await c).toBe('second');
  });

  it('refuses another kind of operation on a busy key with conflict', async () => {
    const ops = new SharedOperations();
    const op = gated();
    const a = ops.run(id, () => {}, op.start);
    await expect(
      ops.run({ key: 'image:x', what: 'image x is being pulled from r' }, () => {}, op.start),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: 'image x is being built right now; try again when that finishes',
    });
    op.release('ok');
    await a;
  });

  it('aborts the operation only when its last caller has left', async () => {
    const ops = new SharedOperations();
    const op = gated();
    const ca = new AbortController();
    const cb = new AbortController();
    const a = ops.run(id, () => {}, op.start, ca.signal);
    const b = ops.run(id, () => {}, op.start, cb.signal);
    await Promise.resolve();
    await Promise.resolve();
    ca.abort();
    await expect(a).rejects.toMatchObject({ code: 'cancelled' });
    expect(op.signal()?.aborted).toBe(false);
    cb.abort();
    await expect(b).rejects.toMatchObject({ code: 'cancelled' });
    expect(op.signal()?.aborted).toBe(true);
    await expect(ops.run(id, () => {}, op.start, AbortSignal.abort())).rejects.toMatchObject({
      code: 'cancelled',
    });
  });

  it('abortAll aborts running operations and waits for them', async () => {
    const ops = new SharedOperations();
    const op = gated();
    const a = ops.run(id, () => {}, op.start).catch((e: Error) => e.message);
    await Promise.resolve();
    await Promise.resolve();
    await ops.abortAll();
    expect(await a).toBe('aborted');
    expect(ops.has('image:x')).toBe(false);
  });
});
