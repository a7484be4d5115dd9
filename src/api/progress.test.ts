import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseProgressEvent, readProgressEvents } from './progress.js';

describe('readProgressEvents', () => {
  it('parses events split across chunks', async () => {
    const chunks = [
      '{"type":"stage","stage":"a","mess',
      'age":"one"}\n{"type":"log","message":"x"}\n',
      '{"type":"done","result":1}',
    ];
    const events = [];
    for await (const e of readProgressEvents(Readable.from(chunks))) events.push(e);
    expect(events).toEqual([
      { type: 'stage', stage: 'a', message: 'one' },
      { type: 'log', message: 'x' },
      { type: 'done', result: 1 },
    ]);
  });

  it('rejects a line that is not a progress event', async () => {
    const run = async () => {
      for await (const _ of readProgressEvents(Readable.from(['{"type":"bogus"}\n']))) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow();
  });
});

describe('parseProgressEvent', () => {
  it('keeps a stage with its counters, a log line, a done result and a known error', () => {
    expect(parseProgressEvent('{"type":"stage","stage":"s","message":"m","current":1,"total":2}')).toEqual({
      type: 'stage',
      stage: 's',
      message: 'm',
      current: 1,
      total: 2,
    });
    expect(parseProgressEvent('{"type":"log","message":"x","extra":1}')).toEqual({
      type: 'log',
      message: 'x',
    });
    expect(parseProgressEvent('{"type":"done","result":null}')).toEqual({ type: 'done', result: null });
    expect(parseProgressEvent('{"type":"error","error":{"code":"not_found","message":"gone"}}')).toEqual({
      type: 'error',
      error: { code: 'not_found', message: 'gone' },
    });
  });

  it('refuses malformed events with one line naming what came', () => {
    for (const line of [
      '{"type":"stage","stage":"s"}',
      '{"type":"stage","stage":"s","message":"m","current":"1"}',
      '{"type":"log"}',
      '{"type":"done"}',
      '{"type":"error","error":{"code":"nope","message":"m"}}',
      '{"type":"error","error":{"code":"toString","message":"m"}}',
      '[]',
      'null',
    ]) {
      expect(() => parseProgressEvent(line), line).toThrow(
        /^the daemon sent a progress line banger does not understand: /,
      );
    }
  });
});
