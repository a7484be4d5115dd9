import type { FastifyReply } from 'fastify';
import { NDJSON_CONTENT_TYPE, type ProgressEvent, type StageEvent } from '../api/progress.js';
import { toAppError } from '../domain/errors.js';

export type EmitStage = (stage: Omit<StageEvent, 'type'>) => void;

/**
 * Answers a request with an NDJSON progress stream: each `emit` becomes a
 * `stage` line, and the operation's result or error becomes the final `done`
 * or `error` line. The HTTP status is 200 once streaming starts, so failures
 * after that point travel in the stream (the client turns them into AppError).
 */
export async function streamOperation<T>(
  reply: FastifyReply,
  operation: (emit: EmitStage, signal: AbortSignal) => Promise<T>,
): Promise<void> {
  const aborter = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) aborter.abort();
  });
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store' });
  const write = (event: ProgressEvent) => {
    if (!reply.raw.destroyed) reply.raw.write(`${JSON.stringify(event)}\n`);
  };
  try {
    const result = await operation((stage) => write({ type: 'stage', ...stage }), aborter.signal);
    write({ type: 'done', result });
  } catch (err) {
    const appError = toAppError(err);
    write({ type: 'error', error: { code: appError.code, message: appError.message } });
  } finally {
    reply.raw.end();
  }
}
