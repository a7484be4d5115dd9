import { fchmodSync, openSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../domain/config.js';

export type { Logger };

/**
 * The daemon's structured log: one JSON object per line, appended to `file`
 * (created 0600). Written synchronously-enough via sonic-boom; pino
 * transports are not used because they do not survive bundling.
 */
export function createFileLogger(file: string, level: LogLevel): Logger {
  const fd = openSync(file, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return pino({ level, base: { pid: process.pid } }, pino.destination({ fd, sync: false }));
}

/** A logger that drops everything, for tests and for the CLI. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
