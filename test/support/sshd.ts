import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostKeyPair } from '../../src/host/ssh/host-key.js';
import { waitForSsh } from '../../src/host/ssh/wait-ready.js';

/**
 * A real OpenSSH server on 127.0.0.1 standing in for a guest's sshd: it logs
 * in as root on this machine (tests run as root), with a host key and an
 * authorized_keys file the test chooses. Only the loopback port is new; the
 * host's own sshd configuration is never read or touched.
 */
export interface TestSshd {
  port: number;
  dir: string;
  /** Stops the server; resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<TestSshd>();

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startSshd(hostKey: HostKeyPair, authorizedKeys: readonly string[]): Promise<TestSshd> {
  if (process.getuid?.() !== 0) throw new Error('the SSH integration tests start sshd and must run as root');
  // sshd refuses to start without its privilege-separation directory; the
  // openssh-server package creates it at boot (tmpfiles), but not in a container.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(tmpdir(), 'banger-sshd-'));
  const keyFile = join(dir, 'ssh_host_ed25519_key');
  writeFileSync(keyFile, hostKey.privateKey, { mode: 0o600 });
  writeFileSync(join(dir, 'authorized_keys'), authorizedKeys.map((k) => `${k}\n`).join(''), { mode: 0o600 });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `HostKey ${keyFile}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // The temp directory lives under world-writable /tmp, which StrictModes rejects.
      'StrictModes no',
      'MaxStartups 50:30:100',
      '',
    ].join('\n'),
  );
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await Promise.race([
        waitForSsh({ host: '127.0.0.1', port, timeoutMs: 10_000, intervalMs: 50 }),
        exited.then(() => {
          throw new Error(`sshd exited: ${stderr}`);
        }),
      ]);
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt < 3 && /Address already in use/.test(stderr)) continue;
      throw err;
    }
    const sshd: TestSshd = { port, dir, stop: () => stop(child, exited, sshd) };
    running.add(sshd);
    return sshd;
  }
}

async function stop(child: ChildProcess, exited: Promise<void>, sshd: TestSshd): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited;
  running.delete(sshd);
  rmSync(sshd.dir, { recursive: true, force: true });
}

/** For afterAll: stops every server this file started, even after a failure. */
export async function stopAllSshd(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}
