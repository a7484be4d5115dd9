import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { generateHostKey } from '../../src/host/ssh/host-key.js';
import { ensureSshKey, type SshIdentity } from '../../src/host/ssh/identity.js';
import { KnownHosts } from '../../src/host/ssh/known-hosts.js';
import { sshArgs } from '../../src/host/ssh/ssh-args.js';
import { toolingBootstrapCommand, toolingLogPath } from '../../src/host/workspace/tooling.js';
import { startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';
import { write } from './fixture.js';

const runner = new SpawnRunner();
let root: string;
let bin: string;
let identity: SshIdentity;
let knownHosts: KnownHosts;
let sshd: TestSshd;

/** Runs the bootstrap over ssh with a PATH holding (or not) a fake mise; returns exit status and duration. */
function bootstrap(repoDir: string, logDir: string, withMise = true): { status: number | null; ms: number } {
  const path = withMise ? `${bin}:/usr/bin:/bin` : '/usr/bin:/bin';
  const argv = sshArgs({
    identityFile: identity.privateKeyPath,
    knownHostsFile: knownHosts.file,
    hostKeyAlias: 'vm-t',
    host: '127.0.0.1',
    port: sshd.port,
    command: ['env', `PATH=${path}`, ...toolingBootstrapCommand('my repo', { repoDir, logDir })],
  });
  const t0 = Date.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', timeout: 20_000 });
  return { status: r.status, ms: Date.now() - t0 };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-tool-'));
  bin = join(root, 'bin');
  // A stand-in mise: slow, chatty, and failing when the repo asks it to.
  write(
    bin,
    'mise',
    '#!/bin/sh\necho "mise $* trusted=$MISE_TRUSTED_CONFIG_PATHS"\nsleep 3\n[ -f fail ] && exit 1\necho done\n',
    0o755,
  );
  identity = await ensureSshKey({ runner, defaultPath: join(root, 'ssh', 'id') });
  knownHosts = new KnownHosts(join(root, 'known_hosts'));
  const key = await generateHostKey();
  await knownHosts.trust('vm-t', ['127.0.0.1'], key.publicKey);
  sshd = await startSshd(key, [identity.publicKey]);
});

afterAll(async () => {
  await stopAllSshd();
  rmSync(root, { recursive: true, force: true });
});

async function waitFor(file: string, text: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const got = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (got.includes(text)) return got;
    await sleep(100);
  }
  throw new Error(`${file} never contained ${text}`);
}

describe('toolingBootstrapCommand', () => {
  it('names the log after the repository, safely', () => {
    expect(toolingLogPath('my repo')).toBe('/root/.cache/banger/vm-run-tooling-my_repo.log');
    expect(toolingLogPath('../x')).toBe('/root/.cache/banger/vm-run-tooling-__x.log');
  });

  it('starts mise install in the background and returns at once', async () => {
    const repo = join(root, 'with-mise');
    write(repo, '.mise.toml', '[tools]\nnode = "20"\n');
    const logDir = join(root, 'cache-a');
    const r = bootstrap(repo, logDir);
    expect(r.status).toBe(0);
    expect(r.ms).toBeLessThan(2500); // mise itself takes 3 s
    const log = toolingLogPath('my repo', logDir);
    expect(await waitFor(log, 'mise install')).toContain(`trusted=${repo}`);
    expect(await waitFor(log, 'done')).toContain('done');
  });

  it('works for .tool-versions and never fails the caller when mise fails', async () => {
    const repo = join(root, 'tool-versions');
    write(repo, '.tool-versions', 'nodejs 20.0.0\n');
    write(repo, 'fail', '');
    const logDir = join(root, 'cache-b');
    expect(bootstrap(repo, logDir).status).toBe(0);
    await waitFor(toolingLogPath('my repo', logDir), 'mise install');
  });

  it('does nothing without a tool config, without mise, or without the workspace', () => {
    const bare = join(root, 'bare');
    write(bare, 'README', 'x\n');
    const withConfig = join(root, 'no-mise');
    write(withConfig, '.mise.toml', '');
    for (const [repo, withMise] of [
      [bare, true],
      [withConfig, false],
      [join(root, 'missing'), true],
    ] as const) {
      const logDir = join(root, `cache-${Math.random()}`);
      expect(bootstrap(repo, logDir, withMise).status).toBe(0);
      expect(existsSync(logDir)).toBe(false);
    }
  });
});
