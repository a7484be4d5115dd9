import { describe, expect, it } from 'vitest';
import { AppError } from '../../../domain/errors.js';
import type { ListenAddress } from '../../../host/dns/index.js';
import { listenOnBridge } from './bridge-listener.js';

const notThere = () =>
  new AppError(
    'host_unsupported',
    'DNS server cannot listen on 172.16.0.1:5300: no interface has that address',
  );

/** A DNS server whose addListener fails with `failures` in turn, then binds. */
function fakeDns(failures: AppError[], listening: ListenAddress[] = [{ host: '127.0.0.1', port: 5300 }]) {
  const attempts: ListenAddress[] = [];
  return {
    attempts,
    addresses: () => listening,
    addListener: async (a: ListenAddress) => {
      attempts.push(a);
      const failure = failures.shift();
      if (failure) throw failure;
      return a;
    },
  };
}

function recordingLog() {
  const lines: string[] = [];
  return {
    lines,
    info: (_o: object, m: string) => lines.push(`info ${m}`),
    warn: (_o: object, m: string) => lines.push(`warn ${m}`),
  };
}

describe('listenOnBridge', () => {
  it('retries until the bridge address exists, logging the wait once', async () => {
    const dns = fakeDns([notThere(), notThere(), notThere()]);
    const log = recordingLog();
    const seen: string[] = [];
    const l = listenOnBridge({
      dns,
      host: '172.16.0.1',
      port: 5300,
      log,
      retryMs: 5,
      onListening: (a) => seen.push(a),
    });
    expect(await l.bound).toBe(true);
    expect(dns.attempts).toHaveLength(4);
    expect(seen).toEqual(['172.16.0.1:5300']);
    expect(log.lines).toEqual([
      'info DNS server cannot listen on 172.16.0.1:5300: no interface has that address; retrying',
      'info DNS server listening on the bridge address',
    ]);
  });

  it('warns about other failures and stops when the server closes', async () => {
    const dns = fakeDns([
      new AppError('conflict', 'port in use'),
      new AppError('internal', 'DNS server is closed, not running'),
    ]);
    const log = recordingLog();
    const l = listenOnBridge({ dns, host: '172.16.0.1', port: 5300, log, retryMs: 5, onListening: () => {} });
    expect(await l.bound).toBe(false);
    expect(dns.attempts).toHaveLength(2);
    expect(log.lines).toEqual(['warn DNS server cannot listen on the bridge address; retrying']);
  });

  it('stop() ends the retries', async () => {
    const dns = fakeDns(Array.from({ length: 1000 }, notThere));
    const l = listenOnBridge({
      dns,
      host: '172.16.0.1',
      port: 5300,
      log: recordingLog(),
      retryMs: 5,
      onListening: () => {},
    });
    await new Promise((r) => setTimeout(r, 30));
    l.stop();
    expect(await l.bound).toBe(false);
    const count = dns.attempts.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(dns.attempts.length).toBe(count);
  });

  it('adds nothing when a wildcard or the bridge address is already listened on', async () => {
    const dns = fakeDns([], [{ host: '0.0.0.0', port: 5300 }]);
    const l = listenOnBridge({
      dns,
      host: '172.16.0.1',
      port: 5300,
      log: recordingLog(),
      onListening: () => {},
    });
    expect(await l.bound).toBe(false);
    expect(dns.attempts).toEqual([]);
  });
});
