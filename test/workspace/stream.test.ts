import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { generateHostKey, type HostKeyPair } from '../../src/host/ssh/host-key.js';
import { ensureSshKey, type SshIdentity } from '../../src/host/ssh/identity.js';
import { KnownHosts } from '../../src/host/ssh/known-hosts.js';
import { sshArgs } from '../../src/host/ssh/ssh-args.js';
import { planWorkspace } from '../../src/host/workspace/plan.js';
import { streamWorkspace } from '../../src/host/workspace/stream.js';
import { startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';
import { EXPECTED_FILES, git, makeFixtureRepo, snapshot, write } from './fixture.js';

const runner = new SpawnRunner();
let root: string;
let repo: string;
let identity: SshIdentity;
let knownHosts: KnownHosts;
let hostKey: HostKeyPair;
let sshd: TestSshd;

const prefix = (alias = 'vm-ws') =>
  sshArgs({
    identityFile: identity.privateKeyPath,
    knownHostsFile: knownHosts.file,
    hostKeyAlias: alias,
    host: '127.0.0.1',
    port: sshd.port,
  });
/** A fresh "guest root" for each copy: the destination is a path under it. */
const guestDir = (name: string) => join(root, 'guest', name, 'root', 'repo');
const porcelain = (dir: string) => git(dir, 'status', '--porcelain=v1', '-z', '--untracked-files=all');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-ws-'));
  repo = join(root, 'host', 'fixture repo');
  makeFixtureRepo(repo, 50 * 1024 * 1024);
  identity = await ensureSshKey({ runner, defaultPath: join(root, 'ssh', 'id_ed25519') });
  knownHosts = new KnownHosts(join(root, 'state', 'known_hosts'));
  hostKey = await generateHostKey();
  await knownHosts.trust('vm-ws', ['127.0.0.1'], hostKey.publicKey);
  sshd = await startSshd(hostKey, [identity.publicKey]);
});

afterAll(async () => {
  await stopAllSshd();
  rmSync(root, { recursive: true, force: true });
});

describe('workspace copy of a git repository', () => {
  let dest: string;
  beforeAll(async () => {
    dest = guestDir('full');
    await streamWorkspace({ plan: await planWorkspace(runner, join(repo, 'bin')), sshArgv: prefix(), dest });
  });

  it('delivers exactly the tracked and untracked-not-ignored files of the working tree', () => {
    const got = [...snapshot(dest, ['.git', 'vendor/nested/.git']).entries()]
      .filter(([, e]) => e.content !== 'dir')
      .map(([p]) => p)
      .sort();
    expect(got).toEqual([...EXPECTED_FILES].sort());
    expect(existsSync(join(dest, 'debug.log'))).toBe(false);
    expect(existsSync(join(dest, 'build'))).toBe(false);
    expect(existsSync(join(dest, 'gone.txt'))).toBe(false);
  });

  it('keeps bytes, modes and symlinks identical, directories included', () => {
    const host = snapshot(repo, ['.git', 'vendor/nested/.git', 'debug.log', 'build']);
    const guest = snapshot(dest, ['.git', 'vendor/nested/.git']);
    expect(guest).toEqual(host);
    expect(guest.get('bin/run.sh')?.mode).toBe(0o755);
    expect(guest.get('newdir')?.mode).toBe(0o700);
    expect(guest.get('newdir/deeper/untracked.txt')?.mode).toBe(0o600);
    expect(guest.get('absolute-link')?.content).toBe('-> /etc/hostname');
    expect(statSync(join(dest, 'big.bin')).size).toBe(50 * 1024 * 1024);
  });

  it('carries the git metadata: same HEAD, same branch, same git status', () => {
    expect(git(dest, 'rev-parse', 'HEAD')).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(git(dest, 'branch', '--show-current')).toBe('main\n');
    const status = porcelain(repo);
    expect(status).toContain(' M README.md');
    expect(status).toContain('A  staged.txt');
    expect(status).toContain(' D gone.txt');
    expect(status).toContain('?? notes.txt');
    expect(status).not.toContain('debug.log');
    expect(porcelain(dest)).toBe(status);
    expect(git(dest, 'status', '--porcelain')).toBe(git(repo, 'status', '--porcelain'));
  });

  it('leaves the index fresh, so git needs no refresh of its own', () => {
    // diff-files compares stat data only: a stale index would list every file.
    expect(git(dest, 'diff-files', '--name-only').split('\n').filter(Boolean).sort()).toEqual(
      ['README.md', 'gone.txt'].sort(),
    );
  });
});

describe('--branch and --from', () => {
  it('creates and checks out the branch from the given ref, keeping local edits', async () => {
    const dest = guestDir('branch');
    const plan = await planWorkspace(runner, repo);
    await streamWorkspace({ plan, sshArgv: prefix(), dest, branch: 'feature/x', from: 'HEAD~1' });
    expect(git(dest, 'branch', '--show-current')).toBe('feature/x\n');
    expect(git(dest, 'rev-parse', 'HEAD')).toBe(git(repo, 'rev-parse', 'HEAD~1'));
    expect(readFileSync(join(dest, 'README.md'), 'utf8')).toContain('uncommitted edit');
    expect(existsSync(join(dest, 'second.txt'))).toBe(false);
    expect(git(repo, 'branch', '--list', 'feature/x')).toBe('');
  });

  it('creates the branch from HEAD without --from', async () => {
    const dest = guestDir('branch-head');
    await streamWorkspace({
      plan: await planWorkspace(runner, repo),
      sshArgv: prefix(),
      dest,
      branch: 'topic',
    });
    expect(git(dest, 'branch', '--show-current')).toBe('topic\n');
    expect(git(dest, 'rev-parse', 'HEAD')).toBe(git(repo, 'rev-parse', 'HEAD'));
  });

  it('reports a branch the guest cannot create in one line', async () => {
    const dest = guestDir('branch-bad');
    const err = await streamWorkspace({
      plan: await planWorkspace(runner, repo),
      sshArgv: prefix(),
      dest,
      branch: 'main',
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'operation_failed' });
    expect(err.message).toMatch(
      /^could not create branch main from HEAD in the guest: fatal: .*already exists/,
    );
    expect(err.message).not.toContain('\n');
  });
});

describe('sparse and skip-worktree checkouts', () => {
  it('copies what the work tree has, so git status still matches', async () => {
    const src = join(root, 'host', 'sparse');
    write(src, 'keep/a.txt', 'a\n');
    write(src, 'drop/b.txt', 'b\n');
    write(src, 'local.conf', 'committed\n');
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'add', '-A');
    git(src, 'commit', '-q', '-m', 'one');
    git(src, 'sparse-checkout', 'set', 'keep');
    // The classic "keep my local edit out of git status" trick: the file exists, edited.
    git(src, 'update-index', '--skip-worktree', 'local.conf');
    write(src, 'local.conf', 'my local edit\n');
    expect(existsSync(join(src, 'drop'))).toBe(false);
    const dest = guestDir('sparse');
    await streamWorkspace({ plan: await planWorkspace(runner, src), sshArgv: prefix(), dest });
    expect(existsSync(join(dest, 'drop'))).toBe(false);
    expect(readFileSync(join(dest, 'keep', 'a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(dest, 'local.conf'), 'utf8')).toBe('my local edit\n');
    expect(porcelain(dest)).toBe(porcelain(src));
  });
});

describe('linked worktrees', () => {
  it('arrive as a plain repository whose HEAD, index and status are the worktree ones', async () => {
    const main = join(root, 'host', 'wt-main');
    write(main, 'a.txt', 'a\n');
    git(main, 'init', '-q', '-b', 'main');
    git(main, 'add', '-A');
    git(main, 'commit', '-q', '-m', 'one');
    const wt = join(root, 'host', 'wt-feature');
    git(main, 'worktree', 'add', '-q', '-b', 'feature', wt);
    git(main, 'worktree', 'add', '-q', '-b', 'other', join(root, 'host', 'wt-other'));
    write(wt, 'b.txt', 'b\n');
    git(wt, 'add', 'b.txt');
    git(wt, 'commit', '-q', '-m', 'on feature');
    write(wt, 'a.txt', 'edited in the worktree\n');
    write(wt, 'untracked.txt', 'u\n');
    write(main, 'a.txt', 'edited in the main checkout\n');
    git(main, 'add', 'a.txt');

    const plan = await planWorkspace(runner, wt);
    expect(plan.worktree).toEqual({ commonDir: join(main, '.git'), name: 'wt-feature' });
    const dest = guestDir('worktree');
    await streamWorkspace({ plan, sshArgv: prefix(), dest });
    expect(statSync(join(dest, '.git')).isDirectory()).toBe(true);
    expect(existsSync(join(dest, '.git', 'worktrees'))).toBe(false);
    expect(git(dest, 'branch', '--show-current')).toBe('feature\n');
    expect(git(dest, 'rev-parse', 'HEAD')).toBe(git(wt, 'rev-parse', 'HEAD'));
    expect(porcelain(dest)).toBe(porcelain(wt));
    expect(porcelain(dest)).toContain(' M a.txt');
    expect(git(dest, 'branch', '--list', 'other')).toContain('other');
    expect(git(dest, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  });

  it('work for a bare repository with worktrees too', async () => {
    const src = join(root, 'host', 'bare-src');
    write(src, 'x.txt', 'x\n');
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'add', '-A');
    git(src, 'commit', '-q', '-m', 'x');
    const project = join(root, 'host', 'bare-project');
    git(join(root, 'host'), 'clone', '-q', '--bare', src, join(project, '.bare'));
    const wt = join(project, 'main');
    git(join(project, '.bare'), 'worktree', 'add', '-q', wt, 'main');
    write(wt, 'x.txt', 'changed\n');
    const dest = guestDir('bare-worktree');
    await streamWorkspace({ plan: await planWorkspace(runner, wt), sshArgv: prefix(), dest, branch: 'fix' });
    expect(git(dest, 'rev-parse', '--is-bare-repository')).toBe('false\n');
    expect(git(dest, 'branch', '--show-current')).toBe('fix\n');
    expect(porcelain(dest)).toBe(porcelain(wt));
  });
});

describe('other sources and failures', () => {
  it('copies a plain directory as it is', async () => {
    const plain = join(root, 'host', 'plain');
    write(plain, 'a.txt', 'a\n');
    write(plain, 'sub/tool', '#!/bin/sh\n', 0o750);
    write(plain, 'debug.log', 'kept: no git, nothing is ignored\n');
    chownSync(join(plain, 'a.txt'), 1234, 1234);
    const dest = guestDir('plain');
    const plan = await planWorkspace(runner, plain);
    expect(plan.kind).toBe('dir');
    await streamWorkspace({ plan, sshArgv: prefix(), dest });
    expect(snapshot(dest)).toEqual(snapshot(plain));
    // Host owners do not travel: the guest's root owns its copy.
    expect(statSync(join(dest, 'a.txt')).uid).toBe(0);
  });

  it('full_copy takes the whole tree, ignored files and all', async () => {
    const dest = guestDir('full-copy');
    await streamWorkspace({ plan: await planWorkspace(runner, repo, 'full_copy'), sshArgv: prefix(), dest });
    expect(readFileSync(join(dest, 'debug.log'), 'utf8')).toBe('ignored\n');
    expect(porcelain(dest)).toBe(porcelain(repo));
  });

  it('refuses to copy to a guest with the wrong host key', async () => {
    const dest = guestDir('wrong-key');
    await knownHosts.trust('vm-other', ['127.0.0.2'], (await generateHostKey()).publicKey);
    const err = await streamWorkspace({
      plan: await planWorkspace(runner, repo),
      sshArgv: prefix('vm-other'),
      dest,
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'operation_failed' });
    expect(err.message).toBe('copying the workspace over ssh failed: Host key verification failed.');
    expect(existsSync(dest)).toBe(false);
  });

  it('names the host side when a planned file vanished before the copy', async () => {
    const src = join(root, 'host', 'vanish');
    write(src, 'keep.txt', 'k\n');
    write(src, 'vanish.txt', 'v\n');
    git(src, 'init', '-q');
    const plan = await planWorkspace(runner, src);
    rmSync(join(src, 'vanish.txt'));
    const err = await streamWorkspace({ plan, sshArgv: prefix(), dest: guestDir('vanish') }).catch((e) => e);
    expect(err.message).toMatch(
      /^reading the workspace .* failed \(did files change during the copy\?\): tar: vanish.txt/,
    );
  });

  it('stops both ends when cancelled', async () => {
    const controller = new AbortController();
    const copy = streamWorkspace({
      plan: await planWorkspace(runner, repo),
      sshArgv: prefix(),
      dest: guestDir('cancel'),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(copy).rejects.toMatchObject({ code: 'cancelled' });
  });
});

describe('planWorkspace', () => {
  it('lists files NUL-safe and never stages content on the host', async () => {
    const plan = await planWorkspace(runner, repo);
    expect(plan.root).toBe(repo);
    expect(plan.name).toBe('fixture repo');
    expect(plan.trees).toEqual(['vendor/nested']);
    expect(plan.metadata).toEqual({ parent: repo, paths: ['.git'] });
    expect(plan.entries).toContain('new\nline');
    expect(plan.entries).not.toContain('gone.txt');
    expect(plan.entries).not.toContain('debug.log');
    // Directories come first so tar recreates them (with their modes) before their files.
    expect(plan.entries.indexOf('newdir')).toBeLessThan(plan.entries.indexOf('newdir/deeper/untracked.txt'));
  });
});
