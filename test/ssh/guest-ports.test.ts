import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portsTableRows } from '../../src/cli/commands/vm/ports-table.js';
import { isControl } from '../../src/cli/terminal-safe.js';
import { SpawnRunner } from '../../src/host/runner.js';
import {
  guestPortAddress,
  guestPortsCommand,
  parseListeningSockets,
} from '../../src/host/ssh/guest-ports.js';
import { generateHostKey } from '../../src/host/ssh/host-key.js';
import { ensureSshKey } from '../../src/host/ssh/identity.js';
import { KnownHosts } from '../../src/host/ssh/known-hosts.js';
import { sshArgs } from '../../src/host/ssh/ssh-args.js';
import { startSshd, stopAllSshd } from '../support/sshd.js';

const runner = new SpawnRunner();
let root: string;
let argv: string[];
let tcp: Server;
let udp: UdpSocket;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-ports-'));
  const identity = await ensureSshKey({ runner, defaultPath: join(root, 'id') });
  const knownHosts = new KnownHosts(join(root, 'known_hosts'));
  const key = await generateHostKey();
  await knownHosts.trust('vm-p', ['127.0.0.1'], key.publicKey);
  const sshd = await startSshd(key, [identity.publicKey]);
  argv = sshArgs({
    identityFile: identity.privateKeyPath,
    knownHostsFile: knownHosts.file,
    hostKeyAlias: 'vm-p',
    host: '127.0.0.1',
    port: sshd.port,
    command: guestPortsCommand(),
  });
  tcp = createServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '0.0.0.0', resolve));
});

afterAll(async () => {
  tcp.close();
  udp.close();
  await stopAllSshd();
  rmSync(root, { recursive: true, force: true });
});

describe('guest ports over ssh', () => {
  it('finds a TCP and a UDP listener with their process, loopback marked unreachable', async () => {
    const { stdout } = await runner.run(argv);
    const mine = parseListeningSockets(stdout).filter((p) => p.processes.some((x) => x.pid === process.pid));
    const tcpPort = (tcp.address() as { port: number }).port;
    expect(mine).toContainEqual({
      proto: 'tcp',
      address: '127.0.0.1',
      port: tcpPort,
      processes: expect.arrayContaining([{ name: 'node', pid: process.pid }]),
      reachable: false,
    });
    expect(mine).toContainEqual({
      proto: 'udp',
      address: '0.0.0.0',
      port: udp.address().port,
      processes: expect.arrayContaining([{ name: 'node', pid: process.pid }]),
      reachable: true,
    });
  });

  it('shows a process whose name is an escape sequence with the sequence made visible', async () => {
    // A process's name (comm, at most 15 bytes) is its executable's file name: the guest picks it.
    const hostile = '\x1b]0;pwned\x07\x1b[2J';
    const exe = join(root, hostile);
    symlinkSync('/usr/bin/nc', exe);
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const nc: ChildProcess = spawn(exe, ['-l', '127.0.0.1', String(port)], { stdio: 'ignore' });
    try {
      let ports = parseListeningSockets('');
      for (let i = 0; i < 50 && !ports.some((p) => p.port === port); i++) {
        await new Promise((r) => setTimeout(r, 100));
        ports = parseListeningSockets((await runner.run(argv)).stdout);
      }
      const listed = ports.filter((p) => p.port === port);
      expect(listed.map((p) => p.processes)).toEqual([[{ name: hostile, pid: nc.pid }]]);
      const rows = portsTableRows(listed.map((p) => ({ ...p, url: guestPortAddress('vm-p', p.port) })));
      expect(rows).toEqual([
        ['tcp', '127.0.0.1', String(port), `\\x1b]0;pwned\\x07\\x1b[2J(${nc.pid})`, 'guest only (loopback)'],
      ]);
      expect(rows.flat().some((cell) => [...cell].some(isControl))).toBe(false);
    } finally {
      nc.kill();
    }
  });
});
