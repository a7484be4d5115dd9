import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkChecks } from '../../src/daemon/services/doctor/network-checks.js';
import { runChecks } from '../../src/daemon/services/doctor/registry.js';
import { applyDefaults } from '../../src/domain/config.js';
import { AppError } from '../../src/domain/errors.js';
import { PRIVILEGE_GROUPS } from '../../src/host/network/allow-list.js';
import { ensureBridge } from '../../src/host/network/bridge.js';
import { getLink } from '../../src/host/network/links.js';
import { silentNetworkLog } from '../../src/host/network/log.js';
import { Nat } from '../../src/host/network/nat.js';
import { checkPrivileges, PrivilegedRunner } from '../../src/host/network/privileged.js';
import { reconcileNetwork } from '../../src/host/network/reconcile.js';
import { renderSudoers } from '../../src/host/network/sudoers.js';
import { TapPool } from '../../src/host/network/tap-pool.js';
import { DEFAULT_TOOL_PATHS } from '../../src/host/network/tools.js';
import { resolvePaths } from '../../src/host/paths.js';
import { type Runner, SpawnRunner } from '../../src/host/runner.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { createTestUser, sudoersPath, type TestUser } from '../support/test-user.js';

const USER = 'bangertest';
const UID = 4242;
/** This host has no systemd-resolved, and `sudo -l` says "command not found" for a missing resolvectl. */
const NETWORK_GROUPS = PRIVILEGE_GROUPS.filter((g) => g !== 'dns');

/**
 * The daemon as an ordinary user with sudo: every command runs in the test's
 * network namespace, as uid 4242 in a private mount namespace where the user
 * and its sudoers entries exist (test/support/test-user.ts). The host's /etc
 * and network are never touched.
 */
describe('as an ordinary user through sudo -n', () => {
  let ns: TestNetns;
  let testUser: TestUser;
  let user: Runner;
  let priv: PrivilegedRunner;
  const bridge = { name: 'banger0', gatewayIp: '172.16.0.1', cidr: '172.16.0.0/24' };
  const writeSudoers = (lines: string[]) => testUser.writeSudoers(lines);

  beforeAll(async () => {
    ns = await createNetns('sudo');
    testUser = createTestUser(ns.runner, USER, UID);
    writeSudoers(renderSudoers(USER, DEFAULT_TOOL_PATHS));
    user = testUser.asUser;
    priv = new PrivilegedRunner(user, { asRoot: false, user: USER });
  });
  afterAll(async () => {
    await destroyAllNetns();
    testUser?.remove();
  });

  it('renders sudoers lines that visudo accepts', async () => {
    const check = await new SpawnRunner().run(['visudo', '-c', '-f', sudoersPath(testUser)], {
      check: false,
    });
    expect(check.stderr + check.stdout).toContain('parsed OK');
    expect(check.exitCode).toBe(0);
  });

  it('runs as that user, not root', async () => {
    expect((await user.run(['id', '-u'])).stdout.trim()).toBe(String(UID));
  });

  it('does the whole network part of a VM with exactly the rendered sudoers lines', async () => {
    const checks = await checkPrivileges(user, { asRoot: false, user: USER, groups: NETWORK_GROUPS });
    expect(checks.filter((c) => !c.allowed)).toEqual([]);

    await ensureBridge(user, priv, bridge, { vmsRunning: false });
    const options = { runner: user, priv, bridge: 'banger0', uid: UID, size: 1, log: silentNetworkLog };
    const first = new TapPool(options);
    await first.start();
    await first.settled();
    await first.stop();
    // ip -j shows the owner by name here; a restarted daemon must still recognise and adopt its TAP.
    const pool = new TapPool(options);
    await pool.start();
    await pool.settled();
    expect(pool.idleCount).toBe(1);
    expect((await getLink(user, '/usr/sbin/ip', 'bgrpool-0'))?.tunOwner).toBe(USER);
    expect(await getLink(ns.runner, '/usr/sbin/ip', 'bgrpool-1')).toBeUndefined();
    const nat = new Nat({ runner: user, priv, log: silentNetworkLog });
    const tap = await pool.acquire('sudovm');
    expect(await getLink(ns.runner, '/usr/sbin/ip', tap)).toMatchObject({
      tunOwner: UID,
      up: true,
      master: 'banger0',
    });
    expect(await nat.enable({ vmId: 'sudovm', guestIp: '172.16.0.2', bridge: 'banger0' })).toEqual({
      added: 3,
      removed: 0,
    });
    expect((await ns.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    expect(await nat.disable('sudovm')).toEqual({ removed: 3 });
    expect(await pool.release('sudovm')).toBe(true);
    await nat.enable({ vmId: 'orphanvm', guestIp: '172.16.0.3', bridge: 'banger0' });
    const report = await reconcileNetwork({
      runner: user,
      priv,
      log: silentNetworkLog,
      isVmId: (id) => id.endsWith('vm'),
      keepVmIds: new Set(),
    });
    expect(report.removedRules).toHaveLength(3);
    await pool.drain();
  });

  it('fails with one line naming the command and the sudoers entry when a line is missing', async () => {
    writeSudoers(renderSudoers(USER, DEFAULT_TOOL_PATHS).filter((l) => !l.includes('/usr/sbin/iptables')));
    const checks = await checkPrivileges(user, { asRoot: false, user: USER, groups: NETWORK_GROUPS });
    const missing = checks.filter((c) => !c.allowed).map((c) => c.command);
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((c) => c.startsWith('/usr/sbin/iptables'))).toBe(true);

    const nat = new Nat({ runner: user, priv, log: silentNetworkLog });
    const err = await nat
      .enable({ vmId: 'sudovm', guestIp: '172.16.0.2', bridge: 'banger0' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('host_unsupported');
    expect((err as AppError).message).not.toContain('\n');
    expect((err as AppError).message).toMatch(
      /^"\/usr\/sbin\/iptables-save" needs root and sudo -n refused it \(.+\); add to \/etc\/sudoers\.d\/banger: bangertest ALL=\(root\) NOPASSWD: \/usr\/sbin\/iptables-save$/,
    );
  });
  it('doctor: each refused class fails with the sudoers lines that fix it, and those lines are enough', async () => {
    const all = renderSudoers(USER, DEFAULT_TOOL_PATHS);
    const kept = all.filter((l) => !l.includes('/usr/sbin/iptables') && !l.includes('/usr/sbin/sysctl'));
    writeSudoers(kept);
    const ctx = {
      config: applyDefaults({}),
      paths: resolvePaths({ HOME: testUser.home }),
      runner: user,
      privileged: { asRoot: false, user: USER },
    };
    const byId = async () => Object.fromEntries((await runChecks(networkChecks, ctx)).map((c) => [c.id, c]));
    const before = await byId();
    expect(before['privileges:bridge']?.status).toBe('pass');
    expect(before['privileges:tap']?.status).toBe('pass');
    expect(before['privileges:iptables']?.status).toBe('fail');
    expect(before['privileges:sysctl']).toMatchObject({
      status: 'fail',
      fixLines: [`${USER} ALL=(root) NOPASSWD: /usr/sbin/sysctl -w net.ipv4.ip_forward\\=1`],
    });
    expect(before.bridge).toMatchObject({ status: 'pass', detail: 'banger0 172.16.0.1/24' });
    expect(before['dns-routing']).toMatchObject({ status: 'warn' });
    expect(before['dns-routing']?.detail).toMatch(/no systemd-resolved here/);

    const fixLines = [
      ...(before['privileges:iptables']?.fixLines ?? []),
      ...(before['privileges:sysctl']?.fixLines ?? []),
    ];
    expect(new Set([...kept, ...fixLines])).toEqual(new Set(all));
    writeSudoers([...kept, ...fixLines]);
    const after = await byId();
    for (const group of NETWORK_GROUPS) expect(after[`privileges:${group}`]?.status, group).toBe('pass');
  });
});
