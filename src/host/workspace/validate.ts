import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';
import { locateWorkspace, type WorkspaceMode, type WorkspaceSource } from './locate.js';

export interface WorkspaceArgs {
  /** The workspace PATH of `vm run`, if any. */
  path?: string | undefined;
  branch?: string | undefined;
  from?: string | undefined;
  mode?: WorkspaceMode | undefined;
}

const fail = (message: string) => new AppError('invalid_argument', message);

/**
 * Checks the workspace flags of `vm run` on the host, before any VM exists,
 * so a mistake costs nothing: PATH exists and can be copied (locateWorkspace),
 * `--branch`/`--from` come with a PATH in a git repository, the branch name is
 * valid and not taken, and `--from` names a commit (`git rev-parse --verify
 * REF^{commit}`). Resolves to the workspace source, or undefined without a
 * PATH; rejects with a one-line AppError('invalid_argument').
 */
export async function validateWorkspaceArgs(
  runner: Runner,
  args: WorkspaceArgs,
): Promise<WorkspaceSource | undefined> {
  const { path, branch, from, mode } = args;
  if (path === undefined) {
    if (branch !== undefined) throw fail('--branch needs a workspace PATH: banger vm run PATH --branch B');
    if (from !== undefined)
      throw fail('--from needs a workspace PATH: banger vm run PATH --branch B --from REF');
    return undefined;
  }
  if (from !== undefined && branch === undefined) {
    throw fail('--from needs --branch: banger vm run PATH --branch B --from REF');
  }
  const source = await locateWorkspace(runner, path, mode);
  if (branch === undefined) return source;

  const git = (...a: string[]) => runner.run(['git', '-C', source.root, ...a], { check: false });
  if ((await git('rev-parse', '--is-inside-work-tree')).exitCode !== 0) {
    throw fail(`--branch needs PATH inside a git repository; ${path} is not in one`);
  }
  if (branch.startsWith('-') || (await git('check-ref-format', '--branch', branch)).exitCode !== 0) {
    throw fail(`--branch ${branch} is not a valid git branch name`);
  }
  if ((await git('rev-parse', '--verify', '--quiet', `refs/heads/${branch}`)).exitCode === 0) {
    throw fail(`branch ${branch} already exists in ${source.root}; choose another --branch`);
  }
  if (from !== undefined) {
    const ok =
      !from.startsWith('-') &&
      (await git('rev-parse', '--verify', '--quiet', `${from}^{commit}`)).exitCode === 0;
    if (!ok)
      throw fail(
        `--from ${from} is not a commit in ${source.root}; check the name with git log or git branch -a`,
      );
  }
  return source;
}
