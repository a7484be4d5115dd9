import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSetupReport } from '../../src/api/local.js';
import { PRIVILEGE_GROUPS } from '../../src/host/network/allow-list.js';
import { checkPrivileges } from '../../src/host/network/privileged.js';
import { type Runner, SpawnRunner } from '../../src/host/runner.js';
import { createNetns, destroyAllNetns, networkSnapshot, type TestNetns } from '../support/netns.js';
import { BANGER } from '../support/sandbox.js';
import { createTestUser, sudoersPath, type TestUser } from '../support/test-user.js';

/**
 * `sudo banger system setup` end to end: the built CLI runs as root inside a
 * private network namespace and a private /etc (test/support/test-user.ts),
 * with SUDO_USER naming a user that exists only there. The sudoers file it
 * installs is that private /etc/sudoers, so the test can then prove, as the
 * user, that `sudo -n` allows what the daemon needs.
 */
describe('banger system setup', () => {
  let ns: TestNetns;
  let user: TestUser;
  let configFile: string;
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/root',
    SUDO_USER: 'bangertest',
    ...extra,
  });
  const setup = (runner: Runner, args: string[], extra: Record<string, string> = {}) =>
    runner.run([process.execPath, BANGER, 'system', 'setup', '--sudoers-file', sudoersPath(user), ...args], {
      check: false,
      env: env(extra),
      timeoutMs: 60_000,
    });
  const json = async (args: string[]): Promise<SystemSetupReport> => {
    const r = await setup(user.asRoot, ['--json', ...args]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    return JSON.parse(r.stdout) as SystemSetupReport;
  };

  beforeAll(async () => {
    ns = await createNetns('setup');
    user = createTestUser(ns.runner);
    mkdirSync(join(user.home, '.config', 'banger'), { recursive: true });
    configFile = join(user.home, '.config', 'banger', 'config.toml');
    writeFileSync(configFile, 'bridge_name = "bgtest0"\nbridge_ip = "10.77.0.1"\ncidr = "10.77.0.0/24"\n');
  });
  afterAll(async () => {
    await destroyAllNetns();
    user?.remove();
  });

  it("creates the bridge from the invoking user's config and installs validated sudoers lines", async () => {
    const report = await json(['--install-sudoers']);
    expect(report.user).toEqual({ name: 'bangertest', uid: 4242, home: user.home });
    expect(report.configFile).toBe(configFile);
    expect(report.bridge).toEqual({ name: 'bgtest0', address: '10.77.0.1/24', action: 'created' });
    expect(report.dnsRouting).toMatchObject({ resolver: 'other', action: 'skipped' });
    expect(report.ipForwarding).toBe('on-demand');
    expect(report.sudoers).toMatchObject({ action: 'installed', file: sudoersPath(user) });

    const addr = await ns.runner.run(['ip', '-o', '-4', 'addr', 'show', 'dev', 'bgtest0']);
    expect(addr.stdout).toContain('inet 10.77.0.1/24');
    expect((await ns.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
    expect(statSync(sudoersPath(user)).mode & 0o777).toBe(0o440);
    const visudo = await new SpawnRunner().run(['visudo', '-c', '-f', sudoersPath(user)], { check: false });
    expect(visudo.exitCode).toBe(0);
    expect(readFileSync(sudoersPath(user), 'utf8')).toContain(
      'bangertest ALL=(root) NOPASSWD: /usr/sbin/ip link add * address * type bridge',
    );
  });

  it('the installed lines let the user run every network command through sudo -n', async () => {
    const groups = PRIVILEGE_GROUPS.filter((g) => g !== 'dns'); // no systemd-resolved here
    const checks = await checkPrivileges(user.asUser, { asRoot: false, user: 'bangertest', groups });
    expect(checks.length).toBeGreaterThan(10);
    expect(checks.filter((c) => !c.allowed)).toEqual([]);
  });

  it('is idempotent: a second run reports unchanged and leaves the namespace exactly as it was', async () => {
    const before = await networkSnapshot(ns.runner);
    const sudoers = readFileSync(sudoersPath(user), 'utf8');
    const report = await json(['--install-sudoers']);
    expect(report.bridge.action).toBe('unchanged');
    expect(report.sudoers.action).toBe('unchanged');
    expect(await networkSnapshot(ns.runner)).toEqual(before);
    expect(readFileSync(sudoersPath(user), 'utf8')).toBe(sudoers);

    const text = await setup(user.asRoot, []);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^bridge: +bgtest0 10\.77\.0\.1\/24: unchanged$/m);
    expect(text.stdout).toMatch(/^sudoers: +.*\(\d+ lines\): unchanged$/m);
    expect(text.stdout).toMatch(/^DNS routing: +skipped, no systemd-resolved/m);
  });

  it('refuses to run as an ordinary user: one line, exit 6, nothing changed', async () => {
    const before = await networkSnapshot(ns.runner);
    const r = await setup(user.asUser, []);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toBe(
      'banger: banger system setup changes host networking and must run as root: sudo banger system setup\n',
    );
    expect(await networkSnapshot(ns.runner)).toEqual(before);
  });

  it('refuses a broken config: one line naming file, line and key, exit 3', async () => {
    writeFileSync(configFile, 'bridge_name = "bgtest0"\ncidr = 24\n');
    const r = await setup(user.asRoot, []);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe(`banger: ${configFile}:2: cidr: Invalid input: expected string, received number\n`);
  });

  it('refuses an unknown user: one line, exit 2', async () => {
    const r = await setup(user.asRoot, [], { SUDO_USER: 'nosuchuser' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('banger: no user "nosuchuser" on this host; pass --user NAME\n');
  });
});
