import { lstat, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';

/**
 * How a workspace is copied. `git`: tracked plus untracked-not-ignored files
 * and the repository metadata; `full_copy`: the whole directory tree as it is
 * (ignored files, submodules and all).
 */
export type WorkspaceMode = 'git' | 'full_copy';

/** Where a workspace comes from, once PATH has been checked. */
export interface WorkspaceSource {
  /** `git`: PATH is inside a git work tree, copied by git's file list; `dir`: copied as a plain tree. */
  kind: 'git' | 'dir';
  /** Absolute directory that becomes the guest's workspace: the repo's top level, or PATH itself. */
  root: string;
  /** basename of root, e.g. for the tooling log name. */
  name: string;
  /**
   * Set when root is a linked worktree (`git worktree add`): its metadata is
   * the shared repository `commonDir` plus `commonDir/worktrees/<name>`.
   */
  worktree?: { commonDir: string; name: string };
}

const fail = (message: string) => new AppError('invalid_argument', message);

/**
 * Checks PATH and finds what to copy: the enclosing git work tree of PATH
 * (`git rev-parse --show-toplevel`) or, outside any repository, PATH itself.
 * In `git` mode refuses what the git file list cannot copy faithfully,
 * naming `--mode full_copy`: submodules, and checkouts whose `.git` file
 * points at a repository elsewhere other than a linked worktree (a submodule
 * checkout, `--separate-git-dir`). Every refusal is one line (AppError invalid_argument).
 */
export async function locateWorkspace(
  runner: Runner,
  path: string,
  mode: WorkspaceMode = 'git',
): Promise<WorkspaceSource> {
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (st === undefined) throw fail(`workspace PATH ${path} does not exist`);
  if (!st.isDirectory()) throw fail(`workspace PATH ${path} is not a directory`);

  const top = await runner.run(['git', '-C', abs, 'rev-parse', '--show-toplevel'], { check: false });
  if (top.exitCode !== 0) {
    if (/not a git repository/.test(top.stderr)) return { kind: 'dir', root: abs, name: basename(abs) };
    const why = top.stderr.trim().split('\n').at(-1) ?? '';
    throw fail(`workspace PATH ${path} cannot be read as a git repository: ${why}`);
  }
  const root = top.stdout.trim();
  const source = { kind: 'git', root, name: basename(root) } as const;
  if (mode === 'full_copy') return { ...source, kind: 'dir' };

  const dotGit = await lstat(join(root, '.git')).catch(() => undefined);
  let worktree: WorkspaceSource['worktree'];
  if (!dotGit?.isDirectory()) {
    worktree = await linkedWorktree(runner, root);
    if (worktree === undefined) {
      throw fail(
        `${root} is a submodule checkout or has its git directory elsewhere (its .git is not a directory); use --mode full_copy`,
      );
    }
  }
  const gitlinks = await submodules(runner, root);
  if (gitlinks.length > 0) {
    const shown = gitlinks.slice(0, 3).join(', ') + (gitlinks.length > 3 ? ', …' : '');
    throw fail(`${root} has git submodules (${shown}); copy it with --mode full_copy`);
  }
  return worktree ? { ...source, worktree } : source;
}

/** The shared repository and name of a linked worktree at `root`, or undefined when it is not one. */
async function linkedWorktree(runner: Runner, root: string): Promise<WorkspaceSource['worktree']> {
  const r = await runner.run(['git', '-C', root, 'rev-parse', '--absolute-git-dir', '--git-common-dir'], {
    check: false,
  });
  const [gitDir, common] = r.stdout.trim().split('\n');
  if (r.exitCode !== 0 || !gitDir || !common) return undefined;
  const commonDir = resolve(root, common);
  if (dirname(gitDir) !== join(commonDir, 'worktrees')) return undefined;
  return { commonDir, name: basename(gitDir) };
}

/** Paths of the gitlink (submodule) entries in the index. */
async function submodules(runner: Runner, root: string): Promise<string[]> {
  const { stdout } = await runner.run(['git', '-C', root, 'ls-files', '-z', '--stage']);
  return stdout
    .split('\0')
    .filter((entry) => entry.startsWith('160000 '))
    .map((entry) => entry.slice(entry.indexOf('\t') + 1));
}
