import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSetupReport } from '../../src/client/local.js';
import { type Runner, SpawnRunner } from '../../src/host/runner.js';
import { createNetns, destroyAllNetns, networkSnapshot, type TestNetns } from '../support/netns.js';
import { BANGER } from '../support/sandbox.js';
import { createTestUser, sudoersDirPath, type TestUser } from '../support/test-user.js';

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
  let root: string;
  const sudoersFile = () => join(sudoersDirPath(user), 'banger-4242');
  const env = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/root',
    SUDO_USER: 'bangertest',
    ...extra,
  });
  const setup = (runner: Runner, args: string[], extra: Record<string, string> = {}) =>
    runner.run(
      [
        process.execPath,
        BANGER,
        'system',
        'setup',
        '--helper-dir',
        join(root, 'libexec'),
        '--grants-dir',
        join(root, 'grants'),
        ...args,
      ],
      {
        check: false,
        env: env(extra),
        timeoutMs: 60_000,
      },
    );
  const json = async (args: string[]): Promise<SystemSetupReport> => {
    const r = await setup(user.asRoot, ['--json', ...args]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    return JSON.parse(r.stdout) as SystemSetupReport;
  };

  beforeAll(async () => {
    ns = await createNetns('setup');
    root = mkdtempSync(join(tmpdir(), 'banger-setup-'));
    chmodSync(root, 0o755);
    user = createTestUser(ns.runner);
    mkdirSync(join(user.home, '.config', 'banger'), { recursive: true });
    configFile = join(user.home, '.config', 'banger', 'config.toml');
    writeFileSync(configFile, 'bridge_name = "bgtest0"\nbridge_ip = "10.77.0.1"\ncidr = "10.77.0.0/24"\n');
  });
  afterAll(async () => {
    await destroyAllNetns();
    user?.remove();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("creates the bridge from the invoking user's config, installs the helper, the grant and a validated sudoers line", async () => {
    const report = await json(['--install-sudoers']);
    expect(report.user).toEqual({ name: 'bangertest', uid: 4242, home: user.home });
    expect(report.configFile).toBe(configFile);
    expect(report.bridge).toEqual({ name: 'bgtest0', address: '10.77.0.1/24', action: 'created' });
    expect(report.dnsRouting).toMatchObject({ resolver: 'other', action: 'skipped' });
    expect(report.ipForwarding).toBe('on-demand');
    expect(report.sudoers).toMatchObject({ action: 'installed', file: '/etc/sudoers.d/banger-4242' });
    expect(report.helper).toMatchObject({
      action: 'installed',
      path: join(root, 'libexec', 'banger-root'),
      grant: {
        uid: 4242,
        bridgeName: 'bgtest0',
        bridgeIp: '10.77.0.1',
        cidr: '10.77.0.0/24',
        dnsPort: 42069,
      },
    });

    const addr = await ns.runner.run(['ip', '-o', '-4', 'addr', 'show', 'dev', 'bgtest0']);
    expect(addr.stdout).toContain('inet 10.77.0.1/24');
    expect((await ns.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
    expect(statSync(sudoersFile()).mode & 0o777).toBe(0o440);
    const visudo = await new SpawnRunner().run(['visudo', '-c', '-f', sudoersFile()], { check: false });
    expect(visudo.exitCode).toBe(0);
    const lines = readFileSync(sudoersFile(), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([`bangertest ALL=(root) NOPASSWD: ${join(root, 'libexec', 'banger-root')}`]);
  });

  it('the installed line lets the user ask the helper for the grant, and nothing more', async () => {
    const helper = join(root, 'libexec', 'banger-root');
    const grant = await user.asUser.run(['sudo', '-n', helper, '--grant']);
    expect(JSON.parse(grant.stdout)).toMatchObject({ uid: 4242, bridgeName: 'bgtest0' });
    const other = await user.asUser.run(['sudo', '-n', '/usr/sbin/ip', 'link'], { check: false });
    expect(other.exitCode).not.toBe(0);
  });

  it('refuses a second user whose bridge or subnet is taken: one line, exit 5, nothing changed', async () => {
    const other = createTestUser(ns.runner, 'bangertwo', 4343);
    try {
      mkdirSync(join(other.home, '.config', 'banger'), { recursive: true });
      const config = join(other.home, '.config', 'banger', 'config.toml');
      writeFileSync(config, 'bridge_name = "bgtest1"\nbridge_ip = "10.77.0.129"\ncidr = "10.77.0.128/25"\n');
      const before = await networkSnapshot(ns.runner);
      const r = await setup(other.asRoot, ['--install-sudoers'], { SUDO_USER: 'bangertwo' });
      expect(r.stderr).toBe(
        'banger: uid 4242 already uses 10.77.0.0/24, which overlaps 10.77.0.128/25; give this user another cidr and bridge_ip in config.toml\n',
      );
      expect(r.exitCode).toBe(5);
      expect(await networkSnapshot(ns.runner)).toEqual(before);
      expect(readdirSync(sudoersDirPath(other))).toEqual([]);
      writeFileSync(config, 'bridge_name = "bgtest1"\nbridge_ip = "10.78.0.1"\ncidr = "10.78.0.0/24"\n');
      const ok = await setup(other.asRoot, ['--install-sudoers', '--json'], { SUDO_USER: 'bangertwo' });
      expect(ok.exitCode).toBe(0);
      expect(readdirSync(join(root, 'grants')).sort()).toEqual(['4242.json', '4343.json']);
    } finally {
      other.remove();
    }
  });

  it('is idempotent: a second run reports unchanged and leaves the namespace exactly as it was', async () => {
    const before = await networkSnapshot(ns.runner);
    const sudoers = readFileSync(sudoersFile(), 'utf8');
    const report = await json(['--install-sudoers']);
    expect(report.bridge.action).toBe('unchanged');
    expect(report.sudoers.action).toBe('unchanged');
    expect(await networkSnapshot(ns.runner)).toEqual(before);
    expect(readFileSync(sudoersFile(), 'utf8')).toBe(sudoers);

    const text = await setup(user.asRoot, []);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^bridge: +bgtest0 10\.77\.0\.1\/24: unchanged$/m);
    expect(text.stdout).toMatch(/^sudoers: +\/etc\/sudoers\.d\/banger-4242: unchanged$/m);
    expect(text.stdout).toMatch(/^root helper: +\/.*\/banger-root: unchanged$/m);
    expect(text.stdout).toMatch(
      /^grant: +.*4242\.json: bridge bgtest0 10\.77\.0\.1, subnet 10\.77\.0\.0\/24, DNS port 42069, TAPs of uid 4242$/m,
    );
    expect(text.stdout).toMatch(/^DNS routing: +skipped, no systemd-resolved/m);
  });

  it('--install-packages hands what doctor would miss to the real apt-get, which finds it installed', async () => {
    // lz4 is installed, but /usr/bin/lz4 is covered by /dev/null (not a file) in this mount
    // namespace: setup sees it missing, and apt-get, reading dpkg's database, changes nothing.
    const lz4Hidden: Runner = {
      run: (argv, opts) =>
        user.asRoot.run(
          ['sh', '-c', 'mount --bind /dev/null /usr/bin/lz4 && exec "$@"', 'sh', ...argv],
          opts,
        ),
    };
    const r = await setup(lz4Hidden, ['--install-packages', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as SystemSetupReport;
    expect(report.packages).toEqual({ action: 'installed', packages: ['lz4'], tools: ['lz4'] });
    expect(r.stderr).toMatch(/lz4 is already the newest version/);

    const present = await setup(user.asRoot, ['--install-packages']);
    expect(present.exitCode).toBe(0);
    expect(present.stdout).toMatch(/^packages: +every host tool is installed$/m);
  });

  it('refuses to run as an ordinary user: one line, exit 6, nothing changed', async () => {
    const before = await networkSnapshot(ns.runner);
    const r = await user.asUser.run(
      [process.execPath, join(user.repo, 'dist', 'banger.js'), 'system', 'setup'],
      { check: false, env: env(), timeoutMs: 60_000 },
    );
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
