import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { BANGER } from '../support/sandbox.js';
import {
  createVmHarness,
  json,
  listTree,
  mustRun,
  registerGoldenImage,
  type VmHarness,
} from '../support/vm-harness.js';

/**
 * `vm run` and `vm ssh` end to end on the golden image (registered under the
 * default image name, so `vm run` needs no --image), through the stand-in.
 */

let h: VmHarness;
let repo: string;

const ok = (args: string[], timeoutMs?: number) => mustRun(h, args, timeoutMs);
const vmNames = async () => json<VmView[]>(await ok(['vm', 'list', '--json'])).map((v) => v.name);
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

/** A repo with everything a copy can get wrong. */
function makeFixtureRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), 'hello\n');
  writeFileSync(join(dir, 'file with spaces.txt'), 'spaces\n');
  writeFileSync(join(dir, 'ünïcødé-名前.txt'), 'unicode\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho ran\n');
  chmodSync(join(dir, 'run.sh'), 0o755);
  mkdirSync(join(dir, 'sub dir'));
  writeFileSync(join(dir, 'sub dir', 'nested.txt'), 'nested\n');
  symlinkSync('sub dir/nested.txt', join(dir, 'link to nested'));
  writeFileSync(join(dir, 'big.bin'), randomBytes(50 * 1024 * 1024));
  writeFileSync(join(dir, '.gitignore'), 'ignored.log\n');
  execFileSync('git', ['-C', dir, 'add', '-A']);
  execFileSync('git', [
    '-C',
    dir,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'commit',
    '-qm',
    'init',
  ]);
  writeFileSync(join(dir, 'README.md'), 'hello, edited\n');
  writeFileSync(join(dir, 'untracked.txt'), 'new\n');
  writeFileSync(join(dir, 'ignored.log'), 'ignored\n');
}

/** Checksums, modes and link targets of every file but .git, as `find` in the repo prints them. */
const INVENTORY =
  "find . -path ./.git -prune -o \\( -type f -printf '%m %p\\n' -o -type l -printf 'link %p -> %l\\n' \\) | LC_ALL=C sort; " +
  'find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum';

beforeAll(async () => {
  h = await createVmHarness({
    label: 'run',
    config: [
      '[vm_defaults]',
      'memory_mib = 1024',
      'vcpu = 1',
      '[[file_sync]]',
      'host = "~/.aws"',
      'guest = "~/.aws"',
    ],
  });
  mkdirSync(join(h.home, '.aws'));
  writeFileSync(join(h.home, '.aws', 'config'), '[default]\nregion = eu-north-1\n');
  await registerGoldenImage(h, 'debian-bookworm');
  repo = join(h.root, 'fixture repo');
  makeFixtureRepo(repo);
}, 900_000);

afterAll(async () => {
  await h?.cleanup();
});

describe('vm run and vm ssh on a real guest', () => {
  it('bad input: one line each, no VM left', async () => {
    const cases: [string[], RegExp][] = [
      [['vm', 'run', join(h.root, 'does-not-exist'), '--', 'true'], /does-not-exist/],
      [['vm', 'run', repo, '--branch', 'b', '--from', 'no-such-ref', '--', 'true'], /no-such-ref/],
      [['vm', 'run', '--branch', 'b', '--', 'true'], /--branch needs a workspace PATH/],
    ];
    for (const [args, message] of cases) {
      const r = await h.banger(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await vmNames()).toEqual([]);
  });

  it('workspace + command: git status matches the host, the exit status is the command’s, files arrive identical; file_sync and host-key trust', {
    timeout: 1_200_000,
  }, async () => {
    const r = await h.banger(
      [
        'vm',
        'run',
        repo,
        '--name',
        'r1',
        '--',
        'sh',
        '-c',
        'cd /root/repo && git status --porcelain && exit 7',
      ],
      { timeoutMs: 900_000 },
    );
    expect(r.status, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/^spec: /m);
    const hostStatus = git('status', '--porcelain');
    expect(hostStatus).toContain(' M README.md');
    expect(hostStatus).toContain('?? untracked.txt');
    expect(hostStatus).not.toContain('ignored.log');
    expect(r.stdout).toBe(hostStatus);

    const hostInventory = execFileSync('sh', ['-c', INVENTORY], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter((l) => !l.includes('ignored.log'))
      .join('\n');
    const guest = await ok(['vm', 'ssh', 'r1', '--', 'sh', '-c', `cd /root/repo && { ${INVENTORY}; }`]);
    expect(guest.stdout).toBe(hostInventory);
    expect(guest.stdout).toContain('755 ./run.sh');
    expect(guest.stdout).toContain('link ./link to nested -> sub dir/nested.txt');

    const synced = await ok([
      'vm',
      'ssh',
      'r1',
      '--',
      'sh',
      '-c',
      'stat -c %a /root/.aws/config; cat /root/.aws/config',
    ]);
    expect(synced.stdout).toBe('600\n[default]\nregion = eu-north-1\n');

    const ports = json<{ proto: string; port: number; processes: { name: string }[]; url: string }[]>(
      await ok(['vm', 'ports', 'r1', '--json']),
    );
    const sshd = ports.find((p) => p.proto === 'tcp' && p.port === 22);
    expect(sshd?.processes.map((p) => p.name)).toContain('sshd');
    expect(sshd?.url).toBe('r1.vm:22');

    // A guest whose host key is not the one banger generated is refused.
    const knownHosts = join(h.stateDir, 'ssh', 'known_hosts');
    const original = readFileSync(knownHosts, 'utf8');
    const other = join(h.root, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherKey = readFileSync(`${other}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(knownHosts, original.replace(/ssh-ed25519 \S+/, otherKey));
    const refused = await h.banger(['vm', 'ssh', 'r1', '--', 'true']);
    expect(refused.status).toBe(8);
    expect(refused.stderr).toMatch(/host key/);
    writeFileSync(knownHosts, original);
    await ok(['vm', 'ssh', 'r1', '--', 'true']);
    await ok(['vm', 'delete', 'r1']);
  });

  it('--rm: the VM is gone after the command, and after Ctrl-C during the command', {
    timeout: 1_200_000,
  }, async () => {
    const r = await h.banger(['vm', 'run', '--rm', '--', 'true'], { timeoutMs: 900_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(await vmNames()).toEqual([]);

    // Ctrl-C reaches the whole foreground process group: banger and its ssh.
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        h.netns.name,
        process.execPath,
        BANGER,
        'vm',
        'run',
        '--rm',
        '--name',
        'r2',
        '--',
        'sleep',
        '600',
      ],
      {
        env: h.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const deadline = Date.now() + 900_000;
    // The ssh that carries the guest command (its argv starts with ssh and ends with the command).
    while (!(await h.netns.sh("pgrep -f '^ssh .* sleep 600$' || true")).stdout.trim()) {
      if (Date.now() > deadline) throw new Error(`vm run never reached its command: ${stderr}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    await new Promise((res) => setTimeout(res, 2000));
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('deleted r2');
    expect(await vmNames()).toEqual([]);
    expect(listTree(h.vmsDir)).toEqual([]);
  });
});
