// File helpers for a VM dir: fresh files for Firecracker's log and metrics, reading the
// tail of a log for error messages, clearing a stale socket.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { connect } from 'node:net';
import { AppError } from '../../domain/errors.js';

const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const FRESH_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Opens `path` for appending (created 0600; never through a symlink). The caller closes the fd. */
export function openAppend(path: string): number {
  return openSync(path, APPEND_FLAGS, 0o600);
}

/**
 * Gives Firecracker a fresh, empty `path` (0600) for its log or metrics:
 * Firecracker opens them read-write at offset 0, without O_APPEND and
 * without truncating, so whatever an earlier run left would show through
 * after the new run's bytes. The old file is renamed to `keepAs` when given
 * (one earlier run is kept), otherwise removed; either way a process still
 * holding it open keeps writing to the old inode, not the new file.
 */
export function freshFile(path: string, keepAs?: string): void {
  try {
    if (keepAs) renameSync(path, keepAs);
    else unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  closeSync(openSync(path, FRESH_FLAGS, 0o600));
}

/** Current size of a file; 0 when it does not exist. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The last `maxBytes` of a file as text, never from before `fromOffset` (so
 * an earlier run's output is not mistaken for this one's); '' when the file
 * does not exist or cannot be read.
 */
export function readTail(path: string, maxBytes: number, fromOffset = 0): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const size = fstatSync(fd).size;
    const start = Math.max(size - maxBytes, Math.min(fromOffset, size));
    const length = size - start;
    const buf = Buffer.alloc(length);
    const read = readSync(fd, buf, 0, length, start);
    return buf.subarray(0, read).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The last non-empty lines of `text`, at most `count`, joined with " | " and bounded in length: for one-line messages. */
export function lastLines(text: string, count: number, maxChars = 400): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count);
  const joined = lines.join(' | ');
  return joined.length > maxChars ? `…${joined.slice(-maxChars)}` : joined;
}

/** True when something accepts connections on the Unix socket at `path` within `timeoutMs`. */
function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ path });
    const done = (answer: boolean) => {
      sock.destroy();
      resolve(answer);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * True when `path` keeps accepting connections for about a second. The
 * listening socket of a process that was just SIGKILLed can accept for a
 * moment after the process is gone (the kernel releases it asynchronously),
 * so one successful connect does not prove an owner.
 */
async function stillListening(path: string): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    if (!(await socketAnswers(path, 500))) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/**
 * Removes a socket file left by an earlier run (Firecracker does not remove
 * its sockets at exit, and refuses to start when the path exists). Throws
 * AppError('conflict') when something still listens on it.
 */
export async function clearStaleSocket(path: string, what: string): Promise<void> {
  if (!existsSync(path)) return;
  if (await stillListening(path)) {
    throw new AppError('conflict', `${what} ${path} is in use by a running process; stop that VM first`);
  }
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
