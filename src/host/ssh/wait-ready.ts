import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../domain/errors.js';

export interface WaitForSshOptions {
  host: string;
  port?: number;
  /** Overall budget; default 60 s (a systemd guest under emulation needs ~25 s). */
  timeoutMs?: number;
  /** Pause between attempts; default 200 ms. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolves once `host:port` accepts a TCP connection and sends an SSH-2
 * identification line (`SSH-2.0-…`), i.e. sshd is really up, not just a
 * listening socket. Refused, unreachable, silent or closing connections are
 * retried until the deadline, then it rejects with AppError('timeout');
 * an abort rejects with AppError('cancelled'). Opens no other connection
 * and leaves none behind.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<void> {
  const { host, port = 22, timeoutMs = 60_000, intervalMs = 200, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (signal?.aborted) throw new AppError('cancelled', `waiting for SSH on ${host}:${port} was cancelled`);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const outcome = await readBanner(host, port, remaining, signal);
    if (outcome === 'ok') return;
    last = outcome;
    const pause = Math.min(intervalMs, deadline - Date.now());
    if (pause > 0) await sleep(pause, undefined, { signal }).catch(() => {});
  }
  throw new AppError(
    'timeout',
    `SSH on ${host}:${port} did not answer within ${Math.round(timeoutMs / 1000)} s (${last}); the guest's console log says why`,
  );
}

/** One attempt: 'ok' when a banner arrived, otherwise why not. */
function readBanner(host: string, port: number, ms: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let got = '';
    const done = (outcome: string) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done('cancelled');
    const timer = setTimeout(() => done(got ? 'no SSH banner' : 'connection timed out'), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1');
      // RFC 4253: the server may send other lines before its identification line.
      if (/(^|\n)SSH-(2\.0|1\.99)-[^\n]*\n/.test(got)) done('ok');
      else if (got.length > 8192) done('not an SSH server');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    socket.on('end', () => done('closed before the SSH banner'));
  });
}
