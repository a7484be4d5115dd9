import { z } from 'zod';
import { errorCodes } from '../domain/errors.js';

/**
 * The daemon contract. Every request and response body crossing the socket is
 * described here. The daemon parses requests with these schemas and builds
 * responses from their types; the client types responses by them without
 * parsing them again (zod would dominate a CLI command's start-up).
 */

const errorCode = z.enum(
  Object.keys(errorCodes) as [keyof typeof errorCodes, ...(keyof typeof errorCodes)[]],
);

export const errorBody = z.object({
  error: z.object({ code: errorCode, message: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBody>;

export const daemonStatus = z.object({
  pid: z.number().int(),
  version: z.string(),
  socket: z.string(),
  logPath: z.string(),
  stateDir: z.string(),
  dnsListenAddr: z.string(),
  /** The web UI's address (`http://127.0.0.1:7777/`) while it listens; null when off or failed. */
  webUrl: z.string().nullable(),
  /** Why the web UI is not listening although web_listen_addr is set; null otherwise. */
  webError: z.string().nullable(),
  startedAt: z.string(),
  uptimeSeconds: z.number(),
});
export type DaemonStatus = z.infer<typeof daemonStatus>;

const checkStatus = z.enum(['pass', 'warn', 'fail']);

const doctorCheck = z.object({
  id: z.string(),
  title: z.string(),
  status: checkStatus,
  detail: z.string(),
  /** One line telling the user how to fix a warn or fail. */
  fix: z.string().optional(),
  /** Text to paste that goes with `fix`, one item per line (e.g. sudoers lines, commands). */
  fixLines: z.array(z.string()).optional(),
});
export type DoctorCheck = z.infer<typeof doctorCheck>;

export const doctorReport = z.object({
  ok: z.boolean(),
  checks: z.array(doctorCheck),
});
export type DoctorReport = z.infer<typeof doctorReport>;

const okResponse = z.object({ ok: z.literal(true) });
export type OkResponse = z.infer<typeof okResponse>;

/** `banger web`: a one-time link that logs a browser into the web UI (valid once, for 2 minutes). */
const webLoginResponse = z.object({ url: z.string() });
export type WebLoginResponse = z.infer<typeof webLoginResponse>;
