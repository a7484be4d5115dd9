import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { generateHostKey, type HostKeyPair } from '../../src/host/ssh/host-key.js';
import { ensureSshKey, type SshIdentity } from '../../src/host/ssh/identity.js';
import { KnownHosts } from '../../src/host/ssh/known-hosts.js';
import { sshArgs } from '../../src/host/ssh/ssh-args.js';
import { startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';

const runner = new SpawnRunner();
let root: string;
let identity: SshIdentity;
let knownHosts: KnownHosts;
let keyA: HostKeyPair;
let keyB: HostKeyPair;
let sshdA: TestSshd;
let sshdB: TestSshd;

/** Runs the system ssh with banger's argv; stdout as raw bytes. */
function ssh(
  sshd: TestSshd,
  command: readonly string[],
  input?: Buffer,
  alias = 'vm-1',
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const argv = sshArgs({
    identityFile: identity.privateKeyPath,
    knownHostsFile: knownHosts.file,
    hostKeyAlias: alias,
    host: '127.0.0.1',
    port: sshd.port,
    command,
  });
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input);
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-ssh-'));
  identity = await ensureSshKey({ runner, defaultPath: join(root, 'config', 'ssh', 'id_ed25519') });
  knownHosts = new KnownHosts(join(root, 'state', 'ssh', 'known_hosts'));
  [keyA, keyB] = await Promise.all([generateHostKey(), generateHostKey()]);
  [sshdA, sshdB] = await Promise.all([
    startSshd(keyA, [identity.publicKey]),
    startSshd(keyB, [identity.publicKey]),
  ]);
  await knownHosts.trust('vm-1', ['127.0.0.1', 'one.vm'], keyA.publicKey);
});

afterAll(async () => {
  await stopAllSshd();
  rmSync(root, { recursive: true, force: true });
});

describe('ssh to a guest whose host key banger trusted', () => {
  it('connects and runs the command', async () => {
    const r = await ssh(sshdA, ['echo', 'hello']);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hello\n');
    expect(r.code).toBe(0);
  });

  it('propagates the exit status of the remote command', async () => {
    expect((await ssh(sshdA, ['sh', '-c', 'exit 7'])).code).toBe(7);
  });

  it('passes every argument through the remote shell unchanged', async () => {
    const args = [
      'a b',
      "it's",
      '"dq"',
      '$HOME',
      'x;y',
      '`id`',
      'back\\slash',
      'new\nline',
      '',
      '*',
      '-n',
      'ünï ☃',
    ];
    const r = await ssh(sshdA, ['printf', '%s\\0', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(args);
  });

  it('passes stdin and stdout bytes untouched', async () => {
    const data = randomBytes(1024 * 1024);
    const r = await ssh(sshdA, ['cat'], data);
    expect(r.code).toBe(0);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(r.stdout.length).toBe(data.length);
    expect(sha(r.stdout)).toBe(sha(data));
  });

  it('keeps banger files private', () => {
    expect(statSync(identity.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'config', 'ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(knownHosts.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'state', 'ssh')).mode & 0o777).toBe(0o700);
  });
});

describe('host-key trust', () => {
  it('refuses a guest presenting a different host key, before running anything', async () => {
    const marker = join(root, 'ran-on-wrong-host');
    const r = await ssh(sshdB, ['touch', marker]);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/host key/i);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a guest banger never recorded a key for', async () => {
    const r = await ssh(sshdA, ['true'], undefined, 'vm-unknown');
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/host key/i);
  });

  it('a re-used address and alias trust only the new key after forget and trust', async () => {
    await knownHosts.forget(['vm-1', '127.0.0.1', 'one.vm']);
    expect((await ssh(sshdA, ['true'])).code).toBe(255);
    await knownHosts.trust('vm-1', ['127.0.0.1', 'one.vm'], keyB.publicKey);
    expect((await ssh(sshdB, ['true'])).code).toBe(0);
    const old = await ssh(sshdA, ['true']);
    expect(old.code).toBe(255);
    expect(old.stderr).toMatch(/host key/i);
    // trust() alone replaces: back to A, and B is refused again.
    await knownHosts.trust('vm-1', ['127.0.0.1', 'one.vm'], keyA.publicKey);
    expect((await ssh(sshdA, ['true'])).code).toBe(0);
    expect((await ssh(sshdB, ['true'])).code).toBe(255);
  });
});
