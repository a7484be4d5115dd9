import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { ensureBridge } from '../../src/host/network/bridge.js';
import { getLink } from '../../src/host/network/links.js';
import { silentNetworkLog } from '../../src/host/network/log.js';
import { Nat } from '../../src/host/network/nat.js';
import { checkPrivileges, PrivilegedRunner } from '../../src/host/network/privileged.js';
import { reconcileNetwork } from '../../src/host/network/reconcile.js';
import { renderSudoers } from '../../src/host/network/sudoers.js';
import { TapPool } from '../../src/host/network/tap-pool.js';
import { DEFAULT_TOOL_PATHS } from '../../src/host/network/tools.js';
import { type Runner, type RunOptions, type RunResult, SpawnRunner } from '../../src/host/runner.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';

const USER = 'bangertest';
const UID = 4242;

/**
 * The daemon as an ordinary user with sudo: every command runs in the test's
 * network namespace, in a private mount namespace where /etc/passwd, group,
 * shadow and sudoers are bind-mounted from a temp dir (so the user and its
 * sudoers entries exist only there), as uid 4242 via setpriv. The host's
 * /etc and network are never touched.
 */
class AsUserRunner implements Runner {
  constructor(
    private readonly etc: string,
    private readonly inner: Runner,
  ) {}

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    const script =
      'd=$1; shift; for f in passwd group shadow sudoers; do mount --bind "$d/$f" /etc/$f; done; ' +
      `exec setpriv --reuid=${UID} --regid=${UID} --clear-groups "$@"`;
    return this.inner.run(['unshare', '-m', 'sh', '-c', script, 'sh', this.etc, ...argv], options);
  }
}

describe('as an ordinary user through sudo -n', () => {
  let ns: TestNetns;
  let etc: string;
  let user: Runner;
  let priv: PrivilegedRunner;
  const bridge = { name: 'banger0', gatewayIp: '172.16.0.1', cidr: '172.16.0.0/24' };
  const writeSudoers = (lines: string[]) =>
    writeFileSync(join(etc, 'sudoers'), `Defaults !syslog, !lecture\n${lines.join('\n')}\n`, { mode: 0o440 });

  beforeAll(async () => {
    ns = await createNetns('sudo');
    etc = mkdtempSync(join(tmpdir(), 'banger-sudo-'));
    for (const f of ['passwd', 'group', 'shadow']) copyFileSync(`/etc/${f}`, join(etc, f));
    const append = (f: string, line: string) =>
      writeFileSync(join(etc, f), `${readFileSync(join(etc, f), 'utf8')}${line}\n`);
    append('passwd', `${USER}:x:${UID}:${UID}::/nonexistent:/bin/sh`);
    append('group', `${USER}:x:${UID}:`);
    append('shadow', `${USER}:*:19000:0:99999:7:::`);
    writeSudoers(renderSudoers(USER, DEFAULT_TOOL_PATHS));
    user = new AsUserRunner(etc, ns.runner);
    priv = new PrivilegedRunner(user, { asRoot: false, user: USER });
  });
  afterAll(async () => {
    await destroyAllNetns();
    if (etc) rmSync(etc, { recursive: true, force: true });
  });

  it('renders sudoers lines that visudo accepts', async () => {
    const check = await new SpawnRunner().run(['visudo', '-c', '-f', join(etc, 'sudoers')], { check: false });
    expect(check.stderr + check.stdout).toContain('parsed OK');
    expect(check.exitCode).toBe(0);
  });

  it('runs as that user, not root', async () => {
    expect((await user.run(['id', '-u'])).stdout.trim()).toBe(String(UID));
  });

  it('does the whole network part of a VM with exactly the rendered sudoers lines', async () => {
    const checks = await checkPrivileges(user, { asRoot: false, user: USER });
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
    const checks = await checkPrivileges(user, { asRoot: false, user: USER });
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
});
