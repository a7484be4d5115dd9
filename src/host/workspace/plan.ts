import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';
import { locateWorkspace, type WorkspaceMode, type WorkspaceSource } from './locate.js';

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );

/**
 * Exactly what goes into the guest.
 * `entries` (relative to `root`) are archived one by one, without recursion:
 * the working-tree files and the directories leading to them, so directory
 * modes survive too. `trees` (relative to `root`) are archived recursively:
 * nested repositories, or `.` for a plain directory. `metadata` is the
 * repository, archived recursively from `metadata.parent`: `.git`, or for a
 * linked worktree the shared repository (its other worktrees left out)
 * with this worktree's own `worktrees/<name>`, which the guest folds back
 * into a plain `.git`.
 */
export interface WorkspacePlan extends WorkspaceSource {
  entries: string[];
  trees: string[];
  metadata?: { parent: string; paths: string[] };
}

/**
 * Plans the copy of PATH (see locateWorkspace for which directory). For a
 * git work tree: `git ls-files --cached --others --exclude-standard` (tracked
 * files as they are in the working tree, uncommitted edits included, plus
 * untracked files that are not ignored) minus files deleted from the working
 * tree and files a sparse checkout left out, plus the whole `.git` directory
 * so the guest's `git status` matches the host's. An untracked nested repository is listed by git as a single
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

  // -t tags each path: H cached, M unmerged, ? untracked, R deleted from the work tree,
  // S skip-worktree (sparse checkout, or `update-index --skip-worktree`).
  const { stdout } = await runner.run([
    'git',
    '-C',
    source.root,
    'ls-files',
    '-z',
    '-t',
    '--cached',
    '--others',
    '--deleted',
    '--exclude-standard',
  ]);
  const tagged = stdout
    .split('\0')
    .filter((e) => e.length > 2)
    .map((e) => ({ tag: e[0], path: e.slice(2) }));
  const deleted = new Set(tagged.filter((e) => e.tag === 'R').map((e) => e.path));

  const files = new Set<string>();
  const trees: string[] = [];
  for (const { tag, path: p } of tagged) {
    if (p.includes('\uFFFD')) {
      throw new AppError(
        'invalid_argument',
        `${source.root} has a file name that is not valid UTF-8 (${p}); rename it or use --mode full_copy`,
      );
    }
    if (tag === 'R' || deleted.has(p)) continue;
    // A skip-worktree file is copied only when it is really there (sparse checkouts leave it out).
    if (tag === 'S' && !(await exists(join(source.root, p)))) continue;
    if (p.endsWith('/')) trees.push(p.slice(0, -1));
    else files.add(p);
  }
  const dirs = new Set<string>();
  for (const file of files) {
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) dirs.add(file.slice(0, i));
  }
  return { ...source, entries: [...[...dirs].sort(), ...files], trees, metadata: await metadataOf(source) };
}

async function metadataOf(source: WorkspaceSource): Promise<NonNullable<WorkspacePlan['metadata']>> {
  if (!source.worktree) return { parent: source.root, paths: ['.git'] };
  const { commonDir, name } = source.worktree;
  const base = basename(commonDir);
  const shared = (await readdir(commonDir)).filter((e) => e !== 'worktrees').map((e) => `${base}/${e}`);
  return { parent: dirname(commonDir), paths: [...shared, `${base}/worktrees/${name}`] };
}
