import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, write } from '../../../test/workspace/fixture.js';
import { type Runner, SpawnRunner } from '../runner.js';
import { validateWorkspaceArgs, type WorkspaceArgs } from './validate.js';

/** Real git on a real temp repository; `seen` records every argv, so tests can prove what never reaches git. */
const seen: string[][] = [];
const spawn = new SpawnRunner();
const runner: Runner = {
  run: (argv, options) => {
    seen.push([...argv]);
    return spawn.run(argv, options);
  },
};
let root: string;
let repo: string;
let plain: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'banger-validate-'));
  repo = join(root, 'repo');
  write(repo, 'a.txt', 'a\n');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'one');
  git(repo, 'branch', 'taken');
  plain = join(root, 'plain');
  write(plain, 'x', 'x\n');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The message of the AppError('invalid_argument') the call rejects with. */
async function refusal(args: WorkspaceArgs): Promise<string> {
  const err = await validateWorkspaceArgs(runner, args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ code: 'invalid_argument' });
  return (err as Error).message;
}

describe('validateWorkspaceArgs', () => {
  it('resolves to nothing without a PATH, and to the source with one', async () => {
    expect(await validateWorkspaceArgs(runner, {})).toBeUndefined();
    expect(await validateWorkspaceArgs(runner, { path: repo })).toEqual({
      kind: 'git',
      root: repo,
      name: 'repo',
    });
    expect(await validateWorkspaceArgs(runner, { path: plain })).toEqual({
      kind: 'dir',
      root: plain,
      name: 'plain',
    });
    expect(await validateWorkspaceArgs(runner, { path: repo, mode: 'full_copy' })).toMatchObject({
      kind: 'dir',
    });
  });

  it('accepts a new branch, from a commit or not', async () => {
    const source = { kind: 'git', root: repo, name: 'repo' };
    expect(await validateWorkspaceArgs(runner, { path: repo, branch: 'feat' })).toEqual(source);
    expect(await validateWorkspaceArgs(runner, { path: repo, branch: 'feat', from: 'taken' })).toEqual(
      source,
    );
    expect(await validateWorkspaceArgs(runner, { path: repo, branch: 'feat/x', from: 'HEAD~0' })).toEqual(
      source,
    );
  });

  it('refuses --branch and --from without a PATH, and --from without --branch', async () => {
    expect(await refusal({ branch: 'b' })).toBe(
      '--branch needs a workspace PATH: banger vm run PATH --branch B',
    );
    expect(await refusal({ from: 'main' })).toBe(
      '--from needs a workspace PATH: banger vm run PATH --branch B --from REF',
    );
    expect(await refusal({ path: repo, from: 'main' })).toBe(
      '--from needs --branch: banger vm run PATH --branch B --from REF',
    );
  });

  it('refuses --branch outside a git repository', async () => {
    expect(await refusal({ path: plain, branch: 'b' })).toBe(
      `--branch needs PATH inside a git repository; ${plain} is not in one`,
    );
  });

  it('refuses invalid and existing branch names', async () => {
    expect(await refusal({ path: repo, branch: 'bad..name' })).toBe(
      '--branch bad..name is not a valid git branch name',
    );
    expect(await refusal({ path: repo, branch: 'taken' })).toBe(
      `branch taken already exists in ${repo}; choose another --branch`,
    );
    expect(await refusal({ path: repo, branch: 'main' })).toMatch(/^branch main already exists/);
  });

  it('refuses a --from that is not a commit', async () => {
    for (const from of ['no-such-ref', 'HEAD~5', `${'0'.repeat(40)}`]) {
      expect(await refusal({ path: repo, branch: 'b', from })).toBe(
        `--from ${from} is not a commit in ${repo}; check the name with git log or git branch -a`,
      );
    }
  });

  it('never hands git a --branch or --from that starts with "-" (it would read as an option)', async () => {
    seen.length = 0;
    expect(await refusal({ path: repo, branch: '--help' })).toBe(
      '--branch --help is not a valid git branch name',
    );
    expect(await refusal({ path: repo, branch: 'ok', from: '--all' })).toBe(
      `--from --all is not a commit in ${repo}; check the name with git log or git branch -a`,
    );
    const args = seen.flat();
    expect(args).not.toContain('--help');
    expect(args.some((a) => a.startsWith('--all'))).toBe(false);
  });
});
