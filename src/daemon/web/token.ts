import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { Logger } from '../../host/logger.js';

/** 32 random bytes, base64url: 43 characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The web UI's session token: the value of the `banger_web` cookie.
 *
 * Kept in `file` (in the daemon's 0700 state dir) so a browser stays logged
 * in across daemon restarts. The file is used only when it is a regular file
 * owned by this user, readable by nobody else (no group or other bits) and
 * holds a well-formed token; anything else (a symlink, a wrong owner or mode,
 * garbage) is removed and a fresh token is written, which logs every browser
 * out: a token someone else could have read is not a secret any more.
 * Created with O_EXCL and mode 0600 in one step, never readable by others.
 */
export function loadOrCreateWebToken(file: string, logger: Logger): string {
  const existing = readTrustedToken(file, logger);
  if (existing !== undefined) return existing;
  const token = randomBytes(32).toString('base64url');
  let fd: number;
  try {
    fd = openSync(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (err) {
    // Another writer won a race we should never have (one daemon per user): use its token if sound.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = readTrustedToken(file, logger);
    if (raced === undefined) throw new Error(`cannot create ${file}: it keeps changing under the daemon`);
    return raced;
  }
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return token;
}

/** The token in `file` if the file can be trusted; removes an untrusted one. Undefined when there is none. */
function readTrustedToken(file: string, logger: Logger): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ELOOP: a symlink where the token should be.
    logger.warn({ file, code }, 'web token file unusable; replacing it (browsers must log in again)');
    rmSync(file, { force: true });
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    const problem = !st.isFile()
      ? 'not a regular file'
      : uid !== undefined && st.uid !== uid
        ? `owned by uid ${st.uid}`
        : (st.mode & 0o077) !== 0
          ? `mode ${(st.mode & 0o777).toString(8)}, not 600`
          : undefined;
    const token = problem === undefined ? readFileSync(fd, 'utf8').trim() : '';
    if (problem === undefined && TOKEN_SHAPE.test(token)) return token;
    logger.warn(
      { file, problem: problem ?? 'not a token' },
      'web token file untrusted; replacing it (browsers must log in again)',
    );
  } finally {
    closeSync(fd);
  }
  rmSync(file, { force: true });
  return undefined;
}
