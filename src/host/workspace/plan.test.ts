import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, write } from '../../../test/workspace/fixture.js';
import { SpawnRunner } from '../runner.js';
import { planWorkspace } from './plan.js';

/** Real git on real temp repositories: the plan is whatever `git ls-files` says, so a fake would prove nothing. */
const runner = new SpawnRunner();
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'banger-plan-'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function repo(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [rel, content] of Object.entries(files)) write(dir, rel, content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'one');
  return dir;
}

describe('planWorkspace', () => {
  it('copies a plain directory, or any directory in full_copy mode, as one tree', async () => {
    const plain = join(root, 'plain');
    write(plain, 'x', 'x\n');
    expect(await planWorkspace(runner, plain)).toEqual({
      kind: 'dir',
      root: plain,
      name: 'plain',
      entries: [],
      trees: ['.'],
    });
    const r = repo('full', { a: 'a\n' });
    expect(await planWorkspace(runner, r, 'full_copy')).toEqual({
      kind: 'dir',
      root: r,
      name: 'full',
      entries: [],
      trees: ['.'],
    });
  });

  it('lists parent directories (sorted, once) before the working-tree files, and the .git metadata', async () => {
    const r = repo('basic', { 'b/c/d.txt': 'd\n', 'b/e.txt': 'e\n', 'a.txt': 'a\n', 'z/y.txt': 'y\n' });
    write(r, 'b/c/d.txt', 'edited, not committed\n');
    write(r, 'new/untracked.txt', 'u\n');
    write(r, '.gitignore', '*.log\n');
    write(r, 'debug.log', 'ignored\n');
    const plan = await planWorkspace(runner, r);
    expect(plan).toMatchObject({ kind: 'git', root: r, name: 'basic', trees: [] });
    expect(plan.entries.slice(0, 4)).toEqual(['b', 'b/c', 'new', 'z']);
    expect(plan.entries.slice(4).sort()).toEqual(
      ['.gitignore', 'a.txt', 'b/c/d.txt', 'b/e.txt', 'new/untracked.txt', 'z/y.txt'].sort(),
    );
    expect(plan.metadata).toEqual({ parent: r, paths: ['.git'] });
  });

  it('leaves out files deleted from the working tree, even when still in the index', async () => {
    const r = repo('deleted', { 'keep.txt': 'k\n', 'gone/only.txt': 'g\n', 'also-gone.txt': 's\n' });
    rmSync(join(r, 'gone'), { recursive: true });
    rmSync(join(r, 'also-gone.txt'));
    expect((await planWorkspace(runner, r)).entries).toEqual(['keep.txt']);
  });

  it('copies a skip-worktree file only when it is really there', async () => {
    const r = repo('sparse', { 'present.txt': 'p\n', 'absent.txt': 'a\n', 'other.txt': 'o\n' });
    git(r, 'update-index', '--skip-worktree', 'present.txt', 'absent.txt');
    rmSync(join(r, 'absent.txt'));
    expect((await planWorkspace(runner, r)).entries.sort()).toEqual(['other.txt', 'present.txt']);
  });

  it('copies an untracked nested repository whole, as a tree', async () => {
    const r = repo('outer', { 'top.txt': 't\n' });
    const nested = join(r, 'vendor', 'inner');
    mkdirSync(nested, { recursive: true });
    git(nested, 'init', '-q');
    write(nested, 'lib.c', 'int x;\n');
    const plan = await planWorkspace(runner, r);
    expect(plan.trees).toEqual(['vendor/inner']);
    expect(plan.entries).toEqual(['top.txt']);
  });

  it('keeps symlinks and odd names as entries of their own', async () => {
    const r = repo('odd', { '-rf': 'dash\n', 'sp ace/ünï.txt': 'u\n' });
    symlinkSync('does/not/exist', join(r, 'dangling'));
    const plan = await planWorkspace(runner, r);
    expect(plan.entries.sort()).toEqual(['-rf', 'dangling', 'sp ace', 'sp ace/ünï.txt']);
  });

  it('refuses a file name that is not UTF-8, naming --mode full_copy', async () => {
    const r = repo('bytes', { 'ok.txt': 'o\n' });
    writeFileSync(Buffer.concat([Buffer.from(`${r}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
    await expect(planWorkspace(runner, r)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: `${r} has a file name that is not valid UTF-8 (bad-\uFFFD\uFFFD); rename it or use --mode full_copy`,
    });
  });

  it("takes a linked worktree's metadata from the shared repository, without the other worktrees", async () => {
    const r = repo('main-repo', { 'a.txt': 'a\n' });
    const wt = join(root, 'linked');
    const other = join(root, 'other-linked');
    git(r, 'worktree', 'add', '-q', wt);
    git(r, 'worktree', 'add', '-q', other);
    const plan = await planWorkspace(runner, wt);
    expect(plan).toMatchObject({ kind: 'git', root: wt, entries: ['a.txt'] });
    const shared = readdirSync(join(r, '.git'))
      .filter((e) => e !== 'worktrees')
      .map((e) => `.git/${e}`);
    expect(shared).toContain('.git/HEAD');
    expect(plan.metadata).toEqual({ parent: r, paths: [...shared, '.git/worktrees/linked'] });
  });
});
