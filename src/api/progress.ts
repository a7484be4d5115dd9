import { z } from 'zod';
import { errorBody } from './schemas.js';

/**
 * Long operations (create, image build and pull) answer with a stream of
 * newline-delimited JSON events (`application/x-ndjson`). The stream ends with
 * exactly one `done` or `error` event.
 */
const progressEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('stage'),
    stage: z.string(),
    message: z.string(),
    current: z.number().optional(),
    total: z.number().optional(),
  }),
  z.object({ type: z.literal('log'), message: z.string() }),
  z.object({ type: z.literal('done'), result: z.unknown() }),
  z.object({ type: z.literal('error'), error: errorBody.shape.error }),
]);
export type ProgressEvent = z.infer<typeof progressEvent>;
export type StageEvent = Extract<ProgressEvent, { type: 'stage' }>;

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

/** Splits a byte stream into lines and parses each as a ProgressEvent. */
export async function* readProgressEvents(
  body: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<ProgressEvent> {
  for await (const line of readLines(body)) yield progressEvent.parse(JSON.parse(line));
}
