import { AppError, type ErrorCode, errorCodes } from '../domain/errors.js';

/**
 * Long operations (create, image build and pull) answer with a stream of
 * newline-delimited JSON events (`application/x-ndjson`). The stream ends with
 * exactly one `done` or `error` event.
 *
 * Checked by hand rather than with zod: the client reads these on every long
 * command, and zod's load time is most of a CLI start-up.
 */
export interface StageEvent {
  type: 'stage';
  stage: string;
  message: string;
  current?: number;
  total?: number;
}
export type ProgressEvent =
  | StageEvent
  | { type: 'log'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; error: { code: ErrorCode; message: string } };

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

/** Splits a byte stream into its non-empty lines (trimmed). */
export async function* readLines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield line;
      newline = buffered.indexOf('\n');
    }
  }
  const rest = buffered.trim();
  if (rest) yield rest;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const optionalNumber = (v: unknown) => v === undefined || typeof v === 'number';

/** The daemon's `{ code, message }` error, when `value` is one. */
export function asErrorBody(value: unknown): { code: ErrorCode; message: string } | undefined {
  if (!isRecord(value)) return undefined;
  const { code, message } = value;
  if (typeof code !== 'string' || !Object.hasOwn(errorCodes, code) || typeof message !== 'string')
    return undefined;
  return { code: code as ErrorCode, message };
}

/** One line of a progress stream; AppError('internal') for anything else. */
export function parseProgressEvent(line: string): ProgressEvent {
  const value: unknown = JSON.parse(line);
  if (isRecord(value)) {
    const { type } = value;
    if (
      type === 'stage' &&
      typeof value.stage === 'string' &&
      typeof value.message === 'string' &&
      optionalNumber(value.current) &&
      optionalNumber(value.total)
    ) {
      return value as unknown as StageEvent;
    }
    if (type === 'log' && typeof value.message === 'string') return { type, message: value.message };
    if (type === 'done' && 'result' in value) return { type, result: value.result };
    const error = type === 'error' ? asErrorBody(value.error) : undefined;
    if (error) return { type: 'error', error };
  }
  throw new AppError(
    'internal',
    `the daemon sent a progress line banger does not understand: ${line.slice(0, 200)}`,
  );
}

/** Splits a byte stream into lines and parses each as a ProgressEvent. */
export async function* readProgressEvents(
  body: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<ProgressEvent> {
  for await (const line of readLines(body)) yield parseProgressEvent(line);
}
