import { lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../domain/errors.js';

/**
 * What the CLI checks before it connects to bangerd's socket, so that it never
 * talks to a daemon another local user planted (`/tmp/banger-<uid>` is a name
 * anyone can take first). The checks build on each other: once the socket
 * directory is ours, mode 0700 and not a symlink, and its parent does not let
 * others rename entries, nobody but us (and root) can swap the socket between
 * the check and the connect. That is what makes checking the socket meaningful.
 */

/** What lstat (or stat, for the parent) says about one path, reduced to what the rules need. */
export type PathFacts =
  | { kind: 'missing' }
  | { kind: 'directory' | 'symlink' | 'socket' | 'other'; uid: number; mode: number };

const WAY_OUT = 'set XDG_RUNTIME_DIR to a directory only you can write';
const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * The parent of the socket directory: if others may write to it without the
 * sticky bit, they could rename our directory away and put theirs in its place.
 */
export function judgeParent(parent: string, facts: PathFacts, uid: number): string | undefined {
  if (facts.kind === 'missing') return undefined; // bangerd creates it, 0700
  if (facts.kind !== 'directory') return `${parent} is not a directory; ${WAY_OUT}`;
  if (facts.uid !== uid && facts.uid !== 0) {
    return `${parent} belongs to uid ${facts.uid}, who controls the socket directory in it; ${WAY_OUT}`;
  }
  if ((facts.mode & 0o022) !== 0 && (facts.mode & 0o1000) === 0) {
    return `${parent} is writable by others without the sticky bit (mode ${octal(facts.mode)}), so the socket directory in it could be swapped; ${WAY_OUT}`;
  }
  return undefined;
}

/** The socket directory: a real directory of ours, mode 0700. Missing is fine (bangerd creates it). */
export function judgeSocketDir(dir: string, facts: PathFacts, uid: number): string | undefined {
  if (facts.kind === 'missing') return undefined;
  if (facts.kind === 'symlink') {
    return `socket directory ${dir} is a symlink, which banger does not follow; remove it (\`rm ${dir}\`) or ${WAY_OUT}`;
  }
  if (facts.kind !== 'directory') {
    return `socket directory ${dir} is not a directory; remove it (\`rm ${dir}\`) or ${WAY_OUT}`;
  }
  if (facts.uid !== uid) {
    return `socket directory ${dir} belongs to uid ${facts.uid}, not to you (uid ${uid}), so the daemon behind it may not be yours; have it removed (\`sudo rm -r ${dir}\`) or ${WAY_OUT}`;
  }
  if ((facts.mode & 0o777) !== 0o700) {
    return `socket directory ${dir} has mode ${octal(facts.mode)}, not 0700; run \`chmod 700 ${dir}\` and try again`;
  }
  return undefined;
}

/** The socket itself, inside a directory already judged ours: a socket of ours. Missing is fine. */
export function judgeSocket(socket: string, facts: PathFacts, uid: number): string | undefined {
  if (facts.kind === 'missing') return undefined;
  if (facts.kind !== 'socket') {
    return `${socket} is not a socket; remove it (\`rm ${socket}\`) and try again`;
  }
  if (facts.uid !== uid) {
    return `${socket} belongs to uid ${facts.uid}, not to you (uid ${uid}); remove it (\`rm ${socket}\`) and try again`;
  }
  return undefined;
}

function factsOf(path: string, follow: boolean): PathFacts {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = follow ? statSync(path) : lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw new AppError(
      'host_unsupported',
      `cannot inspect ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix its permissions or ${WAY_OUT}`,
    );
  }
  const kind = st.isSymbolicLink()
    ? 'symlink'
    : st.isDirectory()
      ? 'directory'
      : st.isSocket()
        ? 'socket'
        : 'other';
  return { kind, uid: st.uid, mode: st.mode };
}

/**
 * Checks the socket's directory, its parent and the socket (in that order)
 * and returns whether a socket is there to connect to. Throws
 * AppError('host_unsupported') with one line saying what is wrong and what to
 * do when any of them could be someone else's.
 */
export function verifySocketPath(
  socket: string,
  uid: number = process.geteuid?.() ?? process.getuid?.() ?? 0,
): 'absent' | 'present' {
  const dir = dirname(socket);
  const parent = dirname(dir);
  const refuse = (problem: string | undefined) => {
    if (problem) throw new AppError('host_unsupported', problem);
  };
  refuse(judgeParent(parent, factsOf(parent, true), uid));
  refuse(judgeSocketDir(dir, factsOf(dir, false), uid));
  const facts = factsOf(socket, false);
  refuse(judgeSocket(socket, facts, uid));
  return facts.kind === 'missing' ? 'absent' : 'present';
}
