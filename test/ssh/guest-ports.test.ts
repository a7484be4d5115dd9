import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { guestPortsCommand, parseListeningSockets } from '../../src/host/ssh/guest-ports.js';
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
  const key = await generateHostKey(runner, join(root, 'tmp'));
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
});
