import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';
import { locateWorkspace, type WorkspaceMode, type WorkspaceSource } from './locate.js';

/**
 * Exactly what goes into the guest, relative to `root`:
 * `entries` are archived one by one (no recursion): the working-tree files
 * and the directories leading to them, so directory modes survive too;
 * `trees` are archived recursively (`.git`, nested repositories, or `.` for
 * a plain directory).
 */
export interface WorkspacePlan extends WorkspaceSource {
  entries: string[];
  trees: string[];
}

/**
 * Plans the copy of PATH (see locateWorkspace for which directory). For a
 * git work tree: `git ls-files --cached --others --exclude-standard` (tracked
 * files as they are in the working tree, uncommitted edits included, plus
 * untracked files that are not ignored) minus files deleted from the working
 * tree, plus the whole `.git` directory so the guest's `git status` matches
 * the host's. An untracked nested repository is listed by git as a single
 * `dir/` and is copied whole. A plain directory (or `--mode full_copy`) is
 * copied as one tree. Reads only; call it right before streaming so the
 * plan reflects the working tree at that moment.
 */
export async function planWorkspace(
  runner: Runner,
  path: string,
  mode: WorkspaceMode = 'git',
): Promise<WorkspacePlan> {
  const source = await locateWorkspace(runner, path, mode);
  if (source.kind === 'dir') return { ...source, entries: [], trees: ['.'] };

  const git = (...args: string[]) => runner.run(['git', '-C', source.root, ...args]);
  const split = (out: string) => out.split('\0').filter((p) => p !== '');
  const [listed, deleted] = await Promise.all([
    git('ls-files', '-z', '--cached', '--others', '--exclude-standard').then((r) => split(r.stdout)),
    git('ls-files', '-z', '--deleted').then((r) => new Set(split(r.stdout))),
  ]);

  const files = new Set<string>();
  const trees = ['.git'];
  for (const p of listed) {
    if (p.includes('\uFFFD')) {
      throw new AppError(
        'invalid_argument',
        `${source.root} has a file name that is not valid UTF-8 (${p}); rename it or use --mode full_copy`,
      );
    }
    if (p.endsWith('/')) trees.push(p.slice(0, -1));
    else if (!deleted.has(p)) files.add(p);
  }
  const dirs = new Set<string>();
  for (const file of files) {
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) dirs.add(file.slice(0, i));
  }
  return { ...source, entries: [...[...dirs].sort(), ...files], trees };
}
