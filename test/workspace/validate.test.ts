import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { planWorkspace } from '../../src/host/workspace/plan.js';
import { validateWorkspaceArgs, type WorkspaceArgs } from '../../src/host/workspace/validate.js';
import { git, write } from './fixture.js';

const runner = new SpawnRunner();
let root: string;
let repo: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'banger-wsv-'));
  repo = join(root, 'repo');
  write(repo, 'a.txt', 'a\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'one');
  write(join(root, 'plain'), 'x', 'x\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The one-line invalid_argument message validateWorkspaceArgs rejects with. */
async function refusal(args: WorkspaceArgs): Promise<string> {
  const err = await validateWorkspaceArgs(runner, args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'invalid_argument' });
  const message = (err as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('validateWorkspaceArgs', () => {
  it('accepts good input and finds the repository top level from a subdirectory', async () => {
    write(repo, 'sub/b.txt', 'b\n');
    expect(await validateWorkspaceArgs(runner, {})).toBeUndefined();
    expect(await validateWorkspaceArgs(runner, { path: join(repo, 'sub') })).toEqual({
      kind: 'git',
      root: repo,
      name: 'repo',
    });
    expect(await validateWorkspaceArgs(runner, { path: repo, branch: 'feat', from: 'main' })).toMatchObject({
      root: repo,
    });
    expect(await validateWorkspaceArgs(runner, { path: join(root, 'plain') })).toMatchObject({ kind: 'dir' });
  });

  it('rejects each bad input with one clear line', async () => {
    expect(await refusal({ path: join(root, 'missing') })).toBe(
      `workspace PATH ${join(root, 'missing')} does not exist`,
    );
    expect(await refusal({ path: join(repo, 'a.txt') })).toMatch(/is not a directory$/);
    expect(await refusal({ branch: 'b' })).toBe(
      '--branch needs a workspace PATH: banger vm run PATH --branch B',
    );
    expect(await refusal({ from: 'main' })).toMatch(/^--from needs a workspace PATH/);
    expect(await refusal({ path: repo, from: 'main' })).toMatch(/^--from needs --branch/);
    expect(await refusal({ path: repo, branch: 'b', from: 'no-such-ref' })).toBe(
      `--from no-such-ref is not a commit in ${repo}; check the name with git log or git branch -a`,
    );
    expect(await refusal({ path: repo, branch: 'b', from: '--all' })).toMatch(
      /^--from --all is not a commit/,
    );
    expect(await refusal({ path: repo, branch: 'main' })).toMatch(/^branch main already exists in /);
    expect(await refusal({ path: repo, branch: 'bad..name' })).toBe(
      '--branch bad..name is not a valid git branch name',
    );
    expect(await refusal({ path: repo, branch: '-b' })).toMatch(/not a valid git branch name$/);
    expect(await refusal({ path: join(root, 'plain'), branch: 'b' })).toMatch(
      /^--branch needs PATH inside a git repository; .* is not in one$/,
    );
  });

  it('refuses submodules, naming --mode full_copy, and accepts them in full_copy', async () => {
    const sub = join(root, 'sub-src');
    write(sub, 's.txt', 's\n');
    git(sub, 'init', '-q');
    git(sub, 'add', '-A');
    git(sub, 'commit', '-q', '-m', 's');
    const sup = join(root, 'super');
    write(sup, 'top.txt', 't\n');
    git(sup, 'init', '-q');
    git(sup, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'deps/sub');
    git(sup, 'commit', '-q', '-m', 'with submodule');
    expect(await refusal({ path: sup })).toBe(
      `${sup} has git submodules (deps/sub); copy it with --mode full_copy`,
    );
    await expect(planWorkspace(runner, sup)).rejects.toThrow(/--mode full_copy/);
    expect(await validateWorkspaceArgs(runner, { path: sup, mode: 'full_copy' })).toMatchObject({
      kind: 'dir',
    });
    // The submodule checkout itself has a .git file, not a directory.
    expect(await refusal({ path: join(sup, 'deps', 'sub') })).toMatch(
      /is a submodule checkout or has its git directory elsewhere .*use --mode full_copy$/,
    );
  });

  it('accepts a linked worktree as the repository it is', async () => {
    const wt = join(root, 'wt');
    git(repo, 'worktree', 'add', '-q', wt);
    writeFileSync(join(wt, 'extra'), '');
    expect(await validateWorkspaceArgs(runner, { path: wt, branch: 'from-wt', from: 'main' })).toMatchObject({
      kind: 'git',
      root: wt,
      worktree: { commonDir: join(repo, '.git'), name: 'wt' },
    });
  });
});
