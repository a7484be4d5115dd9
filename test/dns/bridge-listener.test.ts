import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { VmRepository } from '../../src/store/vm-repository.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { BANGERD, createSandbox, type Sandbox } from '../support/sandbox.js';

/**
 * The daemon's second DNS listener, on the bridge address, is what
 * systemd-resolved is pointed at (docs/dns-routing.md). bangerd runs inside
 * a private network namespace, so the bridge it listens on is the test's.
 */
describe('bangerd listening on the bridge address', () => {
  let ns: TestNetns;
  let guest: TestNetns;
  let sb: Sandbox;
  let port = '';
  const socket = () => join(sb.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.sock');

  async function startDaemonInNetns(): Promise<void> {
    // setsid -f: the daemon's parent exits at once, so init reaps it and `daemon stop` sees it gone.
    spawn('setsid', ['-f', 'ip', 'netns', 'exec', ns.name, process.execPath, BANGERD], {
      env: sb.env,
      stdio: 'ignore',
    });
    const deadline = Date.now() + 15_000;
    while (!existsSync(socket())) {
      if (Date.now() > deadline) throw new Error('bangerd did not start in the namespace');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function dnsAddresses(): string[] {
    const r = sb.banger(['daemon', 'status', '--json']);
    expect(r.status).toBe(0);
    return (JSON.parse(r.stdout) as { dnsListenAddr: string }).dnsListenAddr.split(', ');
  }

  async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    ns = await createNetns('dnsbr');
    guest = await createNetns('dnsbrg');
    sb = createSandbox();
    // A fixed port, as in real configs (port 0 leaves nothing to redirect guests' port 53 to); the
    // daemon runs in the private namespace, so no port of the machine's own can collide.
    writeFileSync(
      join(sb.env.HOME!, '.config', 'banger', 'config.toml'),
      'dns_listen_addr = "127.0.0.1:42069"\n',
    );
  });
  afterAll(async () => {
    sb?.cleanup();
    await destroyAllNetns();
  });

  it('binds the bridge address once the bridge appears, and answers there', async () => {
    await startDaemonInNetns();
    const [loopback] = dnsAddresses();
    expect(dnsAddresses()).toEqual([loopback]);
    port = loopback?.split(':')[1] ?? '';

    await ns.sh(
      'ip link add banger0 type bridge && ip addr add 172.16.0.1/24 dev banger0 && ip link set banger0 up',
    );
    // The daemon retries every 5 s.
    await waitFor(() => dnsAddresses().includes(`172.16.0.1:${port}`), 12_000);

    const db = openDatabase(join(sb.env.HOME!, '.local', 'state', 'banger', 'state.db'));
    const vms = new VmRepository(db);
    vms.create(
      {
        id: 'b0b0b0b0b0b0b0b0',
        name: 'box',
        image: 'img',
        vcpu: 1,
        memoryMib: 256,
        diskBytes: 2 ** 30,
        nat: false,
      },
      { cidr: '172.16.0.0/24', gateway: '172.16.0.1' },
    );
    // A finished create: a daemon restarting later would remove a half-made VM, and its name with it.
    vms.finishCreate('b0b0b0b0b0b0b0b0', 'stopped');
    db.close();
    const dig = await ns.runner.run([
      'dig',
      '+short',
      '+time=2',
      '+tries=1',
      '@172.16.0.1',
      '-p',
      port,
      'box.vm',
    ]);
    expect(dig.stdout.trim()).toBe('172.16.0.2');
  });

  /** A guest's lookup the way its resolver makes it: port 53 on the bridge address. Empty when unanswered. */
  async function guestLookup(digPort: string): Promise<string> {
    const r = await guest.runner.run(
      ['dig', '+short', '+time=1', '+tries=1', '@172.16.0.1', '-p', digPort, 'box.vm'],
      { check: false },
    );
    return r.exitCode === 0 ? r.stdout.trim() : '';
  }

  it("gives a guest's port-53 query no answer while the daemon has not started networking", async () => {
    await ns.sh(
      `ip link add gv1 type veth peer name eth0 netns ${guest.name}; ip link set dev gv1 master banger0 up`,
    );
    await guest.sh('ip addr add 172.16.0.2/24 dev eth0; ip link set dev eth0 up');
    let direct = '';
    for (let i = 0; i < 20 && direct === ''; i++) direct = await guestLookup(port);
    expect(direct).toBe('172.16.0.2');
    expect(await guestLookup('53')).toBe('');
  });

  it('listens there from the start when the bridge already exists', async () => {
    expect(sb.banger(['daemon', 'stop']).status).toBe(0);
    await startDaemonInNetns();
    const addresses = dnsAddresses();
    expect(addresses).toHaveLength(2);
    expect(addresses[1]).toMatch(/^172\.16\.0\.1:\d+$/);
  });

  it("answers a guest's port-53 query once the daemon has started networking on the existing bridge", async () => {
    // The daemon starts host networking in the background when the bridge exists at start-up.
    let answer = '';
    const deadline = Date.now() + 20_000;
    while (answer === '' && Date.now() < deadline) answer = await guestLookup('53');
    expect(answer).toBe('172.16.0.2');
    const saved = await ns.runner.run(['iptables-save', '-t', 'nat']);
    expect(saved.stdout.match(/--comment "banger:dns" -j REDIRECT --to-ports (\d+)/g)).toEqual([
      `--comment "banger:dns" -j REDIRECT --to-ports ${port}`,
      `--comment "banger:dns" -j REDIRECT --to-ports ${port}`,
    ]);
  });
});
