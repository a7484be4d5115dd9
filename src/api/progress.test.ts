import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readProgressEvents } from './progress.js';

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
