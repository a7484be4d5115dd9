import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkChecks } from '../../src/daemon/services/doctor/network-checks.js';
import { runChecks } from '../../src/daemon/services/doctor/registry.js';
import { applyDefaults } from '../../src/domain/config.js';
import { inspectDnsRouting } from '../../src/host/network/dns-routing.js';
import { HostNetwork } from '../../src/host/network/host-network.js';
import { silentNetworkLog } from '../../src/host/network/log.js';
import { resolvePaths } from '../../src/host/paths.js';
import { systemSetup } from '../../src/host/system/setup.js';
import { openDatabase } from '../../src/store/db.js';
import { VmRepository } from '../../src/store/vm-repository.js';
import { TEST_GRANT } from '../../src/testing/grant.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { type PrivateResolved, startPrivateResolved } from '../support/private-resolved.js';
import { BANGERD, createSandbox, HELPER_PROGRAM, type Sandbox } from '../support/sandbox.js';

/**
 * Host DNS routing against a real systemd-resolved (Debian 12's, 252),
 * private to this test (test/support/private-resolved.ts): `system setup`
 * configures the bridge link, doctor reads it back, the daemon re-applies it
 * after resolved forgot it, and a name asked through glibc reaches bangerd.
 */
describe('DNS routing with a private systemd-resolved', () => {
  let ns: TestNetns;
  let resolved: PrivateResolved;
  let sb: Sandbox;
  let configFile: string;
  let scratch: string;
  const target = { link: 'banger0', server: '172.16.0.1:42069' };
  const setup = () =>
    systemSetup({
      runner: resolved.runner,
      env: { SUDO_USER: 'bangertest', HOME: '/root' },
      uid: 0,
      configFile,
      installSudoers: true,
      sudoersFile: join(scratch, 'banger'),
      legacySudoersFile: join(scratch, 'legacy'),
      helperDir: join(scratch, 'libexec'),
      grantsDir: join(scratch, 'grants'),
      helperProgram: HELPER_PROGRAM,
      tools: { resolvectl: resolved.resolvectl },
    });

  beforeAll(async () => {
    ns = await createNetns('resolved');
    scratch = mkdtempSync(join(tmpdir(), 'banger-resolved-test-'));
    resolved = await startPrivateResolved(ns, [`bangertest:x:4242:4242::${scratch}:/bin/sh`]);
    sb = createSandbox();
    configFile = join(sb.env.HOME!, '.config', 'banger', 'config.toml');
    writeFileSync(
      configFile,
      '# all defaults: banger0, 172.16.0.1/24, DNS on 127.0.0.1:42069 (namespace-local)\n',
    );
  }, 240_000);
  afterAll(async () => {
    sb?.cleanup();
    await destroyAllNetns();
    resolved?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('system setup creates the bridge and routes ~vm to the bridge listener', async () => {
    const report = await setup();
    expect(report.bridge).toEqual({ name: 'banger0', address: '172.16.0.1/24', action: 'created' });
    expect(report.dnsRouting).toEqual({
      resolver: 'systemd-resolved',
      server: '172.16.0.1:42069',
      action: 'configured',
      commands: [
        ['dns', 'banger0', '172.16.0.1:42069'],
        ['domain', 'banger0', '~vm'],
        ['default-route', 'banger0', 'false'],
        ['dnssec', 'banger0', 'no'],
        ['dnsovertls', 'banger0', 'no'],
        ['llmnr', 'banger0', 'no'],
        ['mdns', 'banger0', 'no'],
      ],
    });
    expect(await inspectDnsRouting(resolved.runner, resolved.resolvectl, target)).toMatchObject({
      ready: true,
    });
    const status = await resolved.runner.run([resolved.resolvectl, 'status', 'banger0']);
    expect(status.stdout).toMatch(/DNS Servers?: 172\.16\.0\.1:42069/);
    expect(status.stdout).toMatch(/DNS Domain: ~vm/);
    expect(status.stdout).toMatch(/-DefaultRoute -LLMNR -mDNS -DNSOverTLS DNSSEC=no/);
    // The daemon's resolvectl calls go through the root helper, like every other privileged command.
    expect(readFileSync(join(scratch, 'banger'), 'utf8')).toContain(
      `bangertest ALL=(root) NOPASSWD: ${join(scratch, 'libexec', 'banger-root')}\n`,
    );
  });

  it('a second run changes nothing', async () => {
    const report = await setup();
    expect(report.bridge.action).toBe('unchanged');
    expect(report.dnsRouting).toMatchObject({ action: 'unchanged', commands: [] });
    expect(report.sudoers.action).toBe('unchanged');
  });

  it('doctor reads the routing back, and says what is missing after resolved forgot it', async () => {
    const ctx = {
      config: applyDefaults({}),
      paths: resolvePaths({ HOME: sb.env.HOME! }),
      runner: resolved.runner,
      privileged: { asRoot: true, grant: TEST_GRANT, tools: { resolvectl: resolved.resolvectl } },
      dns: { listening: ['127.0.0.1:42069', '172.16.0.1:42069'] },
    };
    const byId = async () => Object.fromEntries((await runChecks(networkChecks, ctx)).map((c) => [c.id, c]));
    expect((await byId())['dns-routing']).toMatchObject({
      status: 'pass',
      detail: 'systemd-resolved sends *.vm to 172.16.0.1:42069',
    });
    await resolved.runner.run([resolved.resolvectl, 'revert', 'banger0']);
    const forgot = (await byId())['dns-routing'];
    expect(forgot?.status).toBe('warn');
    expect(forgot?.detail).toMatch(
      /^systemd-resolved does not route \*\.vm to bangerd on banger0: dns=\(unset\), domain=\(unset\)/,
    );
    expect(forgot?.fixLines?.[1]).toBe("sudo resolvectl domain banger0 '~vm'");
  });

  it('the daemon side re-applies what resolved forgot, also on a bridge it just recreated', async () => {
    const network = new HostNetwork({
      runner: resolved.runner,
      log: silentNetworkLog,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => true,
      privileged: { asRoot: true, tools: { resolvectl: resolved.resolvectl } },
      dnsServer: '172.16.0.1:42069',
    });
    expect(await network.routeDns()).toMatchObject({ ready: false });
    expect(await inspectDnsRouting(resolved.runner, resolved.resolvectl, target)).toMatchObject({
      ready: true,
    });

    // A reboot: the bridge is gone with its settings; the daemon's network start recreates both at once.
    await resolved.runner.run(['ip', 'link', 'del', 'dev', 'banger0']);
    await network.start(new Set());
    await network.stop();
    expect(await inspectDnsRouting(resolved.runner, resolved.resolvectl, target)).toMatchObject({
      ready: true,
    });
  });

  it('a name asked through glibc goes resolved → bridge listener → bangerd', async () => {
    spawn(
      'setsid',
      ['-f', 'nsenter', '-t', String(resolved.pid), '-m', '-n', '--', process.execPath, BANGERD],
      {
        env: sb.env,
        stdio: 'ignore',
      },
    );
    const socket = join(sb.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.sock');
    const deadline = Date.now() + 15_000;
    while (!existsSync(socket) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const status = JSON.parse(sb.banger(['daemon', 'status', '--json']).stdout) as { dnsListenAddr: string };
    expect(status.dnsListenAddr).toBe('127.0.0.1:42069, 172.16.0.1:42069');
    const db = openDatabase(join(sb.env.HOME!, '.local', 'state', 'banger', 'state.db'));
    new VmRepository(db).create(
      {
        id: 'c0ffeec0ffeec0ff',
        name: 'box',
        image: 'img',
        vcpu: 1,
        memoryMib: 256,
        diskBytes: 2 ** 30,
        nat: false,
      },
      { cidr: '172.16.0.0/24', gateway: '172.16.0.1' },
    );
    db.close();
    // resolved only uses a link with carrier: a port that is up, like a running VM's TAP (docs/dns-routing.md).
    await resolved.runner.run([
      'sh',
      '-ec',
      'ip link add bgrtest0 type veth peer name bgrtest1; ip link set bgrtest0 master banger0 up; ip link set bgrtest1 up',
    ]);
    const query = await resolved.runner.run([resolved.resolvectl, 'query', 'box.vm'], { check: false });
    expect(query.stdout).toMatch(/^box\.vm: 172\.16\.0\.2 +-- link: banger0/m);
    const getent = await resolved.runner.run(['getent', 'hosts', 'BOX.vm'], { check: false });
    expect(getent.stdout.trim()).toMatch(/^172\.16\.0\.2\s+BOX\.vm$/);
    const nope = await resolved.runner.run(['getent', 'hosts', 'nope.vm'], { check: false });
    expect(nope.exitCode).toBe(2);
  });
});
