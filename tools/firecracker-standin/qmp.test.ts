import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Qmp } from './qmp.js';

/** A fake QEMU monitor: answers each command through `reply`. */
function fakeMonitor(reply: (cmd: { execute: string; id: number }) => object | undefined) {
  const toClient = new PassThrough();
  const fromClient = new PassThrough();
  const stream = Duplex.from({ readable: toClient, writable: fromClient });
  const seen: string[] = [];
  fromClient.setEncoding('utf8');
  fromClient.on('data', (line: string) => {
    for (const text of line.split('\n').filter(Boolean)) {
      const cmd = JSON.parse(text) as { execute: string; id: number };
      seen.push(cmd.execute);
      const answer = reply(cmd);
      if (answer) toClient.write(`${JSON.stringify({ ...answer, id: cmd.id })}\n`);
    }
  });
  return { stream, toClient, seen };
}

describe('Qmp', () => {
  it('negotiates capabilities after the greeting and runs commands', async () => {
    const m = fakeMonitor((cmd) =>
      cmd.execute === 'query-status' ? { return: { status: 'running' } } : { return: {} },
    );
    const qmp = new Qmp(m.stream);
    m.toClient.write('{"QMP": {"version": {}, "capabilities": []}}\n');
    await qmp.ready();
    expect(await qmp.execute('query-status')).toEqual({ status: 'running' });
    expect(m.seen).toEqual(['qmp_capabilities', 'query-status']);
  });

  it("rejects a command with QMP's error and delivers events", async () => {
    const m = fakeMonitor(() => ({ error: { class: 'GenericError', desc: 'nope' } }));
    const qmp = new Qmp(m.stream);
    const events: string[] = [];
    qmp.onEvent((e) => events.push(e));
    m.toClient.write('{"event": "SHUTDOWN", "data": {}}\n');
    await expect(qmp.execute('system_powerdown')).rejects.toThrow('nope');
    expect(events).toEqual(['SHUTDOWN']);
  });

  it('fails pending commands and ready() when the stream closes', async () => {
    const m = fakeMonitor(() => undefined);
    const qmp = new Qmp(m.stream);
    const pending = qmp.execute('cont');
    m.stream.destroy();
    await expect(pending).rejects.toThrow('QMP connection closed');
    await expect(qmp.ready()).rejects.toThrow(/closed/);
  });
});
