import { z } from 'zod';
import { SESSION_SIGNALS } from '../domain/session.js';

/**
 * Sessions: long-lived processes banger's guest agent runs in a VM
 * (docs/guest-agent.md). They live in the guest, so they outlive the
 * daemon; the daemon only relays. Routes are under /v1/vms/:ref/sessions.
 */

export const startSessionRequest = z.strictObject({
  name: z.string(),
  argv: z.array(z.string()).min(1),
  cwd: z.string().optional(),
  env: z.array(z.string()).optional(),
  stdin: z.enum(['detached', 'pipe']).optional(),
  require: z.array(z.string()).optional(),
});
export type StartSessionRequest = z.infer<typeof startSessionRequest>;

const sessionView = z.object({
  name: z.string(),
  pid: z.number().int(),
  state: z.enum(['running', 'exited']),
  argv: z.array(z.string()),
  cwd: z.string(),
  stdin: z.enum(['detached', 'pipe']),
  startedAt: z.string(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  endedAt: z.string().optional(),
});
export type SessionView = z.infer<typeof sessionView>;

export interface SessionList {
  sessions: SessionView[];
}

export const sessionLogsQuery = z.strictObject({
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
  offset: z.coerce.number().int().min(0).default(0),
  max: z.coerce.number().int().min(1).max(262_144).optional(),
  /** The attach lease's token: reading with it keeps the lease. */
  token: z.string().optional(),
});

/** A chunk of a session's log: `data` is base64; offsets count every byte the stream ever wrote. */
export interface SessionLogChunk {
  data: string;
  offset: number;
  next: number;
  running: boolean;
}

export const stopSessionRequest = z.strictObject({
  graceMs: z.number().int().min(0).max(600_000).optional(),
});
export const killSessionRequest = z.strictObject({ signal: z.enum(SESSION_SIGNALS).optional() });
export const sessionInputRequest = z.strictObject({
  /** base64 bytes for the session's stdin (pipe mode); with `close`, EOF after them. */
  data: z.string().optional(),
  close: z.boolean().optional(),
  /** Required while a terminal is attached: its lease token. */
  token: z.string().optional(),
});

export const detachSessionRequest = z.strictObject({ token: z.string() });
