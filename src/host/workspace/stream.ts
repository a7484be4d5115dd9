import { type ChildProcess, spawn } from 'node:child_process';
import { AppError } from '../../domain/errors.js';
import { shellJoin } from '../ssh/quote.js';
import type { WorkspacePlan } from './plan.js';

export interface StreamWorkspaceOptions {
  plan: WorkspacePlan;
  /**
   * ssh argv up to and including the destination (`sshArgs` without a
   * command); one quoted remote command line is appended to it.
   */
  sshArgv: readonly string[];
  /** Absolute guest directory, e.g. /root/repo; created when missing, expected empty. */
  dest: string;
  /** Create and check out this branch in the guest copy (`git checkout -b`), from `from` or HEAD. */
  branch?: string | undefined;
  /** Start point for `branch`; validated on the host beforehand by validateWorkspaceArgs. */
  from?: string | undefined;
  signal?: AbortSignal;
}

/** GNU tar on the host: NUL-separated names on stdin, never unquoted or read as options. */
export function tarCreateArgv(plan: WorkspacePlan): string[] {
  return [
    'tar',
    '--create',
    '--file=-',
    '--format=posix',
    // atime/ctime records would only add a header per file; mtime keeps its nanoseconds.
    '--pax-option=delete=atime,delete=ctime',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--null',
    '--verbatim-files-from',
    '--no-unquote',
    '--no-recursion',
    '--files-from=-',
    '--recursion',
    '--',
    ...plan.trees,
  ];
}

/**
 * The guest side, run by the guest's shell. Unpacks stdin into DEST with
 * modes kept (`-p`) and every file owned by the login user, root (`-o`:
 * host uids would make git refuse the copy as "dubious ownership"); short
 * options, so busybox tar in a minimal image works too. Then refreshes git's
 * index, whose stat data describes the host's inodes (`git status` would
 * otherwise redo that on first use), and optionally creates the branch.
 * Exit 3 means the branch step failed.
 */
const GUEST_SCRIPT = `set -e
dest=$1 branch=$2 from=$3
mkdir -p -- "$dest"
tar -x -p -o -f - -C "$dest"
if [ -d "$dest/.git" ] && command -v git >/dev/null 2>&1; then
  git -C "$dest" update-index -q --refresh >/dev/null 2>&1 || true
fi
if [ -n "$branch" ]; then
  if [ -n "$from" ]; then git -C "$dest" checkout -q -b "$branch" "$from" || exit 3
  else git -C "$dest" checkout -q -b "$branch" || exit 3; fi
fi`;

/** The remote command line that unpacks a workspace stream into `dest`. */
export function guestExtractCommand(dest: string, branch = '', from = ''): string {
  return shellJoin(['sh', '-c', GUEST_SCRIPT, 'sh', dest, branch, from]);
}

const STDERR_LIMIT = 16_384;

/**
 * Streams the planned workspace into the guest: `tar -c` of exactly the
 * planned paths on the host, piped (an OS pipe, no copy through this
 * process and no temporary copy on disk) into `ssh … tar -x` in the guest.
 * Resolves when both ends have exited successfully; rejects with a one-line
 * AppError naming the side that failed (the host tar, ssh, or the guest),
 * or AppError('cancelled') when aborted (both processes are then killed).
 *
 * This runs two processes connected to each other, which the Runner (one
 * command to completion) cannot express; it therefore spawns them directly.
 */
export async function streamWorkspace(o: StreamWorkspaceOptions): Promise<void> {
  if (!o.dest.startsWith('/'))
    throw new AppError('internal', `workspace destination must be absolute: ${o.dest}`);
  const [sshCmd, ...sshRest] = o.sshArgv;
  if (sshCmd === undefined) throw new AppError('internal', 'empty ssh argv');
  if (o.signal?.aborted) throw new AppError('cancelled', 'workspace copy cancelled');

  const [tarCmd, ...tarRest] = tarCreateArgv(o.plan);
  const tar = spawn(tarCmd!, tarRest, { cwd: o.plan.root, stdio: ['pipe', 'pipe', 'pipe'] });
  const tarDone = exited(tar);
  const tarErr = collect(tar);
  const ssh = spawn(sshCmd, [...sshRest, guestExtractCommand(o.dest, o.branch, o.from)], {
    // tar's stdout becomes ssh's stdin directly (the child inherits the pipe's descriptor).
    stdio: [tar.stdout ?? 'ignore', 'ignore', 'pipe'],
  });
  // Drop this process's end of the pipe: if ssh dies, tar gets EPIPE instead of blocking.
  tar.stdout?.destroy();
  const sshDone = exited(ssh);
  const sshErr = collect(ssh);

  const onAbort = () => {
    tar.kill('SIGTERM');
    ssh.kill('SIGTERM');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  tar.stdin?.on('error', () => {}); // tar exiting early is reported through its exit status
  tar.stdin?.end(o.plan.entries.map((p) => `${p}\0`).join(''));

  const [t, s] = await Promise.all([tarDone, sshDone]);
  o.signal?.removeEventListener('abort', onAbort);
  if (o.signal?.aborted) throw new AppError('cancelled', 'workspace copy cancelled');

  const lastLine = (text: string) => text.trim().split('\n').at(-1)?.trim() ?? '';
  if (s.code === 255 || (s.code === null && t.code === 0)) {
    throw new AppError(
      'operation_failed',
      `copying the workspace over ssh failed: ${lastLine(sshErr()) || `ssh ${s.how}`}`,
    );
  }
  if (t.code !== 0) {
    const first = tarErr()
      .split('\n')
      .find((l) => l.startsWith('tar: ') && !l.startsWith('tar: Exiting'));
    throw new AppError(
      'operation_failed',
      `reading the workspace ${o.plan.root} failed (did files change during the copy?): ${first ?? `tar ${t.how}`}`,
    );
  }
  if (s.code === 3) {
    const why =
      sshErr()
        .split('\n')
        .find((l) => /^(fatal|error):/.test(l)) ?? lastLine(sshErr());
    throw new AppError(
      'operation_failed',
      `could not create branch ${o.branch} from ${o.from ?? 'HEAD'} in the guest: ${why}`,
    );
  }
  if (s.code !== 0) {
    throw new AppError(
      'operation_failed',
      `unpacking the workspace in the guest failed: ${lastLine(sshErr()) || `exit ${s.code}`}`,
    );
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; how: string }> {
  return new Promise((resolve) => {
    child.once('error', (e) => resolve({ code: null, how: `could not be started (${e.message})` }));
    child.once('close', (code, signal) =>
      resolve({ code, how: signal ? `was killed by ${signal}` : `exited with status ${code}` }),
    );
  });
}

/** Keeps the last STDERR_LIMIT characters of a child's stderr. */
function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (b: Buffer) => {
    text = (text + b.toString()).slice(-STDERR_LIMIT);
  });
  return () => text;
}
