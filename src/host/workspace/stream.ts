import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
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
  /**
   * Absolute guest directory, e.g. /root/repo; created when missing. An
   * existing one must be an empty directory: anything else is refused
   * (AppError conflict) before a byte is unpacked.
   */
  dest: string;
  /** Create and check out this branch in the guest copy (`git checkout -b`), from `from` or HEAD. */
  branch?: string | undefined;
  /** Start point for `branch`; validated on the host beforehand by validateWorkspaceArgs. */
  from?: string | undefined;
  signal?: AbortSignal;
}

/** The files of a repository that belong to one work tree (gitrepository-layout(5)). */
const PER_WORKTREE = [
  'HEAD',
  'index',
  'ORIG_HEAD',
  'MERGE_HEAD',
  'MERGE_MSG',
  'MERGE_MODE',
  'AUTO_MERGE',
  'CHERRY_PICK_HEAD',
  'REVERT_HEAD',
  'REBASE_HEAD',
  'BISECT_LOG',
  'BISECT_START',
  'BISECT_TERMS',
  'BISECT_EXPECTED_REV',
  'BISECT_ANCESTORS_OK',
  'BISECT_NAMES',
  'sequencer',
  'rebase-merge',
  'rebase-apply',
  'logs/HEAD',
  'refs/bisect',
  'refs/worktree',
  'refs/rewritten',
  'config.worktree',
];

const dotSlash = (p: string) => (p === '.' ? p : `./${p}`);

/** GNU tar on the host: NUL-separated names on stdin, never unquoted or read as options. */
function tarCreateArgv(plan: WorkspacePlan): string[] {
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
    // Positional: recursion and -C apply to the names after them. `./` keeps a name from reading as an option.
    ...plan.trees.map(dotSlash),
    ...(plan.metadata ? ['-C', plan.metadata.parent, ...plan.metadata.paths.map(dotSlash)] : []),
  ];
}

/**
 * The guest side, run by the guest's shell. Unpacks stdin into DEST with
 * modes kept (`-p`) and every file owned by the login user, root (`-o`:
 * host uids would make git refuse the copy as "dubious ownership"); short
 * options, so busybox tar in a minimal image works too. Then refreshes git's
 * index, whose stat data describes the host's inodes (`git status` would
 * otherwise redo that on first use), and optionally creates the branch.
 * For a linked worktree it first folds the worktree's own state (HEAD,
 * index, in-progress merges, …) over the shared repository's, making a
 * plain `.git` in which the guest copy is the main work tree.
 * Exit 3 means the branch step failed; exit 4 that DEST exists and is not
 * an empty directory (nothing was unpacked).
 */
const GUEST_SCRIPT = `set -e
dest=$1 branch=$2 from=$3 meta=$4 worktree=$5
if [ -e "$dest" ] || [ -L "$dest" ]; then
  if [ -L "$dest" ] || [ ! -d "$dest" ] || [ -n "$(ls -A -- "$dest")" ]; then exit 4; fi
fi
mkdir -p -- "$dest"
tar -x -p -o -f - -C "$dest"
if [ -n "$worktree" ]; then
  cd "$dest"
  own="$meta/worktrees/$worktree"
  for f in ${PER_WORKTREE.join(' ')}; do
    rm -rf "$meta/$f"
    if [ -e "$own/$f" ]; then mkdir -p "$(dirname "$meta/$f")"; mv "$own/$f" "$meta/$f"; fi
  done
  rm -rf "$meta/worktrees"
  if [ "$meta" != .git ]; then mv "$meta" .git; fi
  if command -v git >/dev/null 2>&1; then git config --file .git/config core.bare false; fi
fi
if [ -d "$dest/.git" ] && command -v git >/dev/null 2>&1; then
  git -C "$dest" update-index -q --refresh >/dev/null 2>&1 || true
fi
if [ -n "$branch" ]; then
  if [ -n "$from" ]; then git -C "$dest" checkout -q -b "$branch" "$from" || exit 3
  else git -C "$dest" checkout -q -b "$branch" || exit 3; fi
fi`;

/** The remote command line that unpacks a workspace stream of `plan` into `dest`. */
function guestExtractCommand(plan: WorkspacePlan, dest: string, branch = '', from = ''): string {
  const meta = plan.worktree ? basename(plan.worktree.commonDir) : '';
  return shellJoin(['sh', '-c', GUEST_SCRIPT, 'sh', dest, branch, from, meta, plan.worktree?.name ?? '']);
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
  const ssh = spawn(sshCmd, [...sshRest, guestExtractCommand(o.plan, o.dest, o.branch, o.from)], {
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
  // Checked before the host tar's status: refusing DEST ends ssh early, and tar then dies of EPIPE.
  if (s.code === 4) {
    throw new AppError(
      'conflict',
      `${o.dest} already exists in the guest and is not an empty directory; nothing was copied`,
    );
  }
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
