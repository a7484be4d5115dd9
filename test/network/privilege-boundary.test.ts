import {
  chmodSync,
  existsSync,
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
import { networkChecks } from '../../src/daemon/services/doctor/network-checks.js';
import { runChecks } from '../../src/daemon/services/doctor/registry.js';
import { applyDefaults } from '../../src/domain/config.js';
import { AppError } from '../../src/domain/errors.js';
import { poolTapName, tapNameForVm } from '../../src/domain/network.js';
import { ensureBridge } from '../../src/host/network/bridge.js';
import { getLink } from '../../src/host/network/links.js';
import { silentNetworkLog } from '../../src/host/network/log.js';
import { Nat } from '../../src/host/network/nat.js';
import { PrivilegedRunner } from '../../src/host/network/privileged.js';
import { reconcileNetwork } from '../../src/host/network/reconcile.js';
import { TapPool } from '../../src/host/network/tap-pool.js';
import { resolvePaths } from '../../src/host/paths.js';
import type { Runner } from '../../src/host/runner.js';
import { testVmId } from '../../src/testing/grant.js';
import { createNetns, destroyAllNetns, networkSnapshot, type TestNetns } from '../support/netns.js';
import { BANGER } from '../support/sandbox.js';
import { createTestUser, sudoersDirPath, type TestUser } from '../support/test-user.js';

const USER = 'bangertest';
const UID = 4242;
const OTHER_UID = 4343;
const BRIDGE = 'bgtest0';
const VM = testVmId('sudo');
const TAG = `banger:${VM}`;

/**
 * The privilege boundary, attacked as the user it is granted to. `banger
 * system setup --install-sudoers` runs as root for a throwaway user, in a
 * private network namespace and a private /etc (test/support/test-user.ts);
 * then, as that user, every command `sudo -n -l` grants is sent a corpus of
 * hostile arguments, and nothing that is not banger's may change: a canary
 * bridge and address, another user's TAP, a canary firewall rule, an
 * unrelated sysctl, files outside banger's directories and /etc/sudoers.d.
 */
describe('privilege boundary: what the user may run as root', () => {
  let ns: TestNetns;
  let testUser: TestUser;
  let user: Runner;
  let root: string;
  let helperDir: string;
  let helper: string;
  let canaryDir: string;
  const snapshot = async () => ({
    net: await networkSnapshot(ns.runner),
    sysctl: (
      await ns.sh(
        'sysctl -n net.ipv4.ip_default_ttl net.ipv4.conf.all.rp_filter net.ipv6.conf.all.disable_ipv6 net.ipv6.conf.lo.disable_ipv6',
      )
    ).stdout,
    files: readdirSync(canaryDir).map((f) => [f, readFileSync(join(canaryDir, f), 'utf8')]),
    sudoersD: readdirSync(sudoersDirPath(testUser)).map((f) => [
      f,
      readFileSync(join(sudoersDirPath(testUser), f), 'utf8'),
    ]),
    helperFiles: readdirSync(helperDir).map((f) => [f, readFileSync(join(helperDir, f), 'utf8')]),
  });
  const sudo = (args: string[], env?: Record<string, string>) =>
    user.run(['sudo', '-n', ...args], { check: false, timeoutMs: 30_000, ...(env ? { env } : {}) });

  beforeAll(async () => {
    ns = await createNetns('boundary');
    testUser = createTestUser(ns.runner, USER, UID);
    user = testUser.asUser;
    // Root-owned and traversable by the user, like /usr/local/libexec and /etc.
    root = mkdtempSync(join(tmpdir(), 'banger-boundary-'));
    chmodSync(root, 0o755);
    helperDir = join(root, 'libexec');
    helper = join(helperDir, 'banger-root');
    canaryDir = join(root, 'canary');
    mkdirSync(canaryDir, { mode: 0o700 });
    writeFileSync(join(canaryDir, 'precious'), 'do not overwrite\n');
    mkdirSync(join(testUser.home, '.config', 'banger'), { recursive: true });
    writeFileSync(
      join(testUser.home, '.config', 'banger', 'config.toml'),
      `bridge_name = "${BRIDGE}"\nbridge_ip = "10.77.0.1"\ncidr = "10.77.0.0/24"\n`,
    );
    const setup = await testUser.asRoot.run(
      [
        process.execPath,
        BANGER,
        'system',
        'setup',
        '--install-sudoers',
        '--helper-dir',
        helperDir,
        '--grants-dir',
        join(root, 'grants'),
      ],
      {
        check: false,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', SUDO_USER: USER },
        timeoutMs: 60_000,
      },
    );
    expect(setup.stderr).toBe('');
    expect(setup.exitCode).toBe(0);
    // Canaries: things on this host that are not this user's banger resources.
    await ns.sh(
      [
        // no IPv6 link-local addresses: their DAD state would change the snapshot on its own
        'sysctl -qw net.ipv6.conf.default.disable_ipv6=1',
        'ip link add canary0 type bridge',
        'ip addr add 10.99.0.1/24 dev canary0',
        'ip link set dev canary0 up',
        `ip tuntap add dev ${tapNameForVm(VM, OTHER_UID)} mode tap user ${OTHER_UID}`,
        `ip tuntap add dev ${poolTapName(0, OTHER_UID)} mode tap user ${OTHER_UID}`,
        'iptables -w -A INPUT -s 10.99.0.0/24 -m comment --comment canary -j ACCEPT',
        'iptables -w -P FORWARD DROP',
        'sysctl -qw net.ipv4.ip_default_ttl=77',
      ].join('\n'),
    );
  }, 90_000);
  afterAll(async () => {
    await destroyAllNetns();
    testUser?.remove();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('grants exactly one command: the root-owned helper, which the user cannot change', async () => {
    const list = await sudo(['-l']);
    expect(list.exitCode).toBe(0);
    expect(granted(list.stdout)).toEqual([helper]);
    for (const file of [
      helperDir,
      helper,
      join(helperDir, 'banger-root.mjs'),
      join(root, 'grants', `${UID}.json`),
    ]) {
      expect(statSync(file).uid, file).toBe(0);
      expect(statSync(file).mode & 0o022, file).toBe(0);
    }
    const write = await user.run(['sh', '-c', `echo 'id' >> ${helper}`], { check: false });
    expect(write.exitCode).not.toBe(0);
    expect(readFileSync(join(sudoersDirPath(testUser), `banger-${UID}`), 'utf8')).toContain(
      `${USER} ALL=(root) NOPASSWD: ${helper}\n`,
    );
  });

  it('does the whole network part of a VM through sudo -n and the helper', async () => {
    const grant = {
      uid: UID,
      bridgeName: BRIDGE,
      bridgeIp: '10.77.0.1',
      cidr: '10.77.0.0/24',
      dnsPort: 42069,
    };
    const priv = new PrivilegedRunner(user, { asRoot: false, grant, helper });
    const bridge = { name: BRIDGE, gatewayIp: '10.77.0.1', cidr: '10.77.0.0/24' };
    await ensureBridge(user, priv, bridge, { vmsRunning: false });
    const pool = new TapPool({
      runner: user,
      priv,
      bridge: BRIDGE,
      uid: UID,
      size: 1,
      log: silentNetworkLog,
    });
    await pool.start();
    await pool.settled();
    expect((await getLink(ns.runner, '/usr/sbin/ip', poolTapName(0, UID)))?.tunOwner).toBe(UID);
    const nat = new Nat({ runner: user, priv, log: silentNetworkLog });
    const tap = await pool.acquire(VM);
    expect(await getLink(ns.runner, '/usr/sbin/ip', tap)).toMatchObject({
      tunOwner: UID,
      up: true,
      master: BRIDGE,
    });
    expect(await nat.enable({ vmId: VM, guestIp: '10.77.0.2', bridge: BRIDGE })).toEqual({
      added: 3,
      removed: 0,
    });
    expect((await ns.runner.run(['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    expect(await nat.disable(VM)).toEqual({ removed: 3 });
    expect(await pool.release(VM)).toBe(true);
    const orphan = testVmId('orphan');
    await nat.enable({ vmId: orphan, guestIp: '10.77.0.3', bridge: BRIDGE });
    const report = await reconcileNetwork({
      runner: user,
      priv,
      log: silentNetworkLog,
      uid: UID,
      isVmId: (id) => /^[0-9a-f]{16}$/.test(id),
      keepVmIds: new Set(),
    });
    expect(report.removedRules).toHaveLength(3);
    await pool.drain();
    // Another user's TAP of the same VM id was never touched.
    expect(await getLink(ns.runner, '/usr/sbin/ip', tapNameForVm(VM, OTHER_UID))).toBeDefined();
  });

  it('a hostile argument corpus sent to every granted command changes nothing that is not banger’s', async () => {
    const before = await snapshot();
    const list = await sudo(['-l']);
    const commands = granted(list.stdout);
    expect(commands.length).toBeGreaterThan(0);
    const corpus = hostileCorpus(canaryDir);
    const outcomes: string[] = [];
    for (const command of commands) {
      // The helper takes "<tool> <args>"; a tool granted directly (as older releases did) takes its args.
      const tool = command.split(' ')[0] ?? '';
      const base = tool.slice(tool.lastIndexOf('/') + 1);
      for (const entry of corpus) {
        const argv = base !== 'banger-root' && entry[0] === base ? entry.slice(1) : entry;
        const r = await sudo([tool, ...argv]);
        outcomes.push(`${r.exitCode} ${JSON.stringify(argv)} ${r.stderr.trim().split('\n')[0] ?? ''}`);
        expect(r.exitCode, `${tool} ${JSON.stringify(argv)}`).not.toBe(0);
      }
    }
    expect(outcomes).toHaveLength(commands.length * corpus.length);
    expect(outcomes.filter((o) => !/^77 .* banger-root: /.test(o))).toEqual([]);
    // The tools themselves, as older banger releases granted them, are refused by sudo.
    for (const argv of [
      ['/usr/sbin/iptables-save', '-f', join(canaryDir, 'precious')],
      ['/usr/sbin/ip', 'link', 'del', 'dev', 'canary0'],
      ['/usr/sbin/sysctl', '-w', 'net.ipv4.ip_default_ttl=1'],
    ]) {
      const r = await sudo(argv);
      expect(r.exitCode, argv.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/^sudo: |not allowed/m);
    }
    expect(await snapshot()).toEqual(before);
    // No sudoers injection took: the user is still not root.
    const id = await sudo(['id', '-u']);
    expect(id.exitCode).not.toBe(0);
    expect(id.stdout).not.toContain('0');
  });

  it('the environment cannot smuggle code into the helper', async () => {
    const tripwire = join(root, 'tripwire');
    const evil = join(root, 'evil.cjs');
    writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(tripwire)}, 'owned');\n`);
    chmodSync(evil, 0o644);
    const env = { PATH: '/usr/bin:/bin', NODE_OPTIONS: `--require ${evil}` };
    expect((await sudo(['-E', helper, '--grant'], env)).exitCode).not.toBe(0);
    expect((await sudo([`NODE_OPTIONS=--require ${evil}`, helper, '--grant'], env)).exitCode).not.toBe(0);
    const plain = await sudo([helper, '--grant'], env);
    expect(plain.exitCode).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ uid: UID, bridgeName: BRIDGE });
    expect(existsSync(tripwire)).toBe(false);
  });

  it('doctor passes with the installed grant, and flags lines from an older banger as unsafe', async () => {
    const ctx = {
      config: applyDefaults({
        bridge_name: BRIDGE,
        bridge_ip: '10.77.0.1',
        cidr: '10.77.0.0/24',
        root_helper: helper,
      }),
      paths: resolvePaths({ HOME: testUser.home }),
      runner: user,
      privileged: {
        asRoot: false,
        helper,
        grant: { uid: UID, bridgeName: BRIDGE, bridgeIp: '10.77.0.1', cidr: '10.77.0.0/24', dnsPort: 42069 },
      },
    };
    const byId = async () => Object.fromEntries((await runChecks(networkChecks, ctx)).map((c) => [c.id, c]));
    const good = await byId();
    expect(good.privileges?.status).toBe('pass');
    expect(good['privileges:unsafe-sudoers']?.status).toBe('pass');
    const legacy = join(sudoersDirPath(testUser), 'banger');
    writeFileSync(legacy, `${USER} ALL=(root) NOPASSWD: /usr/sbin/iptables-save\n`, { mode: 0o440 });
    try {
      const bad = await byId();
      expect(bad['privileges:unsafe-sudoers']).toMatchObject({
        status: 'fail',
        fixLines: ['/usr/sbin/iptables-save'],
      });
      expect(bad['privileges:unsafe-sudoers']?.fix).toContain('sudo banger system setup --install-sudoers');
    } finally {
      rmSync(legacy);
    }
    const moved = await runChecks(networkChecks, {
      ...ctx,
      config: { ...ctx.config, cidr: '10.78.0.0/24', bridgeIp: '10.78.0.1' },
    });
    expect(moved.find((c) => c.id === 'privileges')).toMatchObject({ status: 'fail' });
  });

  it('a refused command is one line saying why', async () => {
    const grant = {
      uid: UID,
      bridgeName: 'other0',
      bridgeIp: '10.77.0.1',
      cidr: '10.77.0.0/24',
      dnsPort: 42069,
    };
    const priv = new PrivilegedRunner(user, { asRoot: false, grant, helper });
    const err = await priv.run('ip', ['link', 'set', 'dev', 'other0', 'up']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('host_unsupported');
    expect((err as AppError).message).toMatch(
      /^banger's root helper refused "ip link set dev other0 up": refused .*not one of banger's commands for bridge bgtest0, subnet 10\.77\.0\.0\/24, uid 4242$/,
    );
  });
});

/** The commands in `sudo -l` output (one per line here: banger writes one command per line). */
function granted(listing: string): string[] {
  return listing
    .split('\n')
    .map((l) => /^\s*\([^)]*\)\s*(?:[A-Z_]+:\s*)*(\S.*)$/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
}

/** Arguments an attacker who may run the helper as root would try. */
function hostileCorpus(canaryDir: string): string[][] {
  const precious = join(canaryDir, 'precious');
  const ownTap = tapNameForVm(VM, UID);
  const injected = `${TAG}\n${USER} ALL=(ALL) NOPASSWD: ALL\n#`;
  const masq = (src: string, out: string, tag = TAG) => [
    'iptables',
    '-w',
    '-t',
    'nat',
    '-A',
    'POSTROUTING',
    '-s',
    src,
    '!',
    '-o',
    out,
    '-m',
    'comment',
    '--comment',
    tag,
    '-j',
    'MASQUERADE',
  ];
  const fwd = (src: string, inIf: string, tag = TAG) => [
    'iptables',
    '-w',
    '-t',
    'filter',
    '-I',
    'FORWARD',
    '-s',
    src,
    '-i',
    inIf,
    '!',
    '-o',
    inIf,
    '-m',
    'comment',
    '--comment',
    tag,
    '-j',
    'ACCEPT',
  ];
  return [
    // writing files as root
    ['iptables-save', '-f', precious],
    ['iptables-save', '-f', join(canaryDir, 'new')],
    ['iptables-save', '-f', '/etc/sudoers.d/x'],
    ['iptables-save', '--file=/etc/sudoers.d/x'],
    ['iptables-save', '-c'],
    // the newline-comment injection, then writing it out
    fwd('10.77.0.2/32', BRIDGE, injected),
    masq('10.77.0.2/32', BRIDGE, injected),
    // the host's own interfaces
    ['ip', 'link', 'set', 'dev', 'canary0', 'down'],
    ['ip', 'link', 'del', 'dev', 'canary0'],
    ['ip', 'addr', 'del', '10.99.0.1/24', 'dev', 'canary0'],
    ['ip', 'addr', 'add', '10.99.0.1/24', 'dev', BRIDGE],
    ['ip', 'link', 'set', 'dev', 'canary0', 'alias', 'banger-bridge', 'up'],
    ['ip', 'link', 'set', 'dev', 'canary0', 'master', BRIDGE, 'alias', TAG, 'up'],
    ['ip', 'link', 'set', 'dev', 'canary0', 'name', ownTap, 'alias', TAG, 'up'],
    ['ip', 'link', 'add', 'canary1', 'address', '06:00:0a:4d:00:01', 'type', 'bridge'],
    // another user's TAPs
    ['ip', 'link', 'del', 'dev', tapNameForVm(VM, OTHER_UID)],
    ['ip', 'link', 'del', 'dev', poolTapName(0, OTHER_UID)],
    ['ip', 'link', 'set', 'dev', poolTapName(0, OTHER_UID), 'name', ownTap, 'alias', TAG, 'up'],
    ['ip', 'tuntap', 'add', 'dev', ownTap, 'mode', 'tap', 'user', '0'],
    // ip's own escape hatches
    ['ip', '-batch', precious],
    ['ip', '-force', '-batch', '-'],
    ['ip', '-n', 'other', 'link', 'del', 'dev', 'canary0'],
    ['ip', 'netns', 'exec', 'x', 'sh'],
    // the firewall
    ['iptables', '-F'],
    ['iptables', '-w', '-t', 'nat', '-F'],
    ['iptables', '-P', 'INPUT', 'ACCEPT'],
    ['iptables', '-w', '-P', 'FORWARD', 'ACCEPT'],
    [
      'iptables',
      '-w',
      '-D',
      'INPUT',
      '-s',
      '10.99.0.0/24',
      '-m',
      'comment',
      '--comment',
      'canary',
      '-j',
      'ACCEPT',
    ],
    ['iptables', '-w', '-t', 'filter', '-D', 'INPUT', '1'],
    fwd('10.99.0.2/32', 'canary0'),
    masq('10.99.0.0/24', 'canary0'),
    masq('10.99.0.2/32', BRIDGE),
    masq('10.77.0.1/32', BRIDGE),
    masq('10.77.0.2/32', BRIDGE, 'banger:dns'),
    ['iptables', '-w', '-t', 'filter', '-I', 'INPUT', '-i', BRIDGE, '-j', 'ACCEPT'],
    [
      'iptables',
      '-w',
      '-t',
      'nat',
      '-I',
      'PREROUTING',
      '-d',
      '10.77.0.1/32',
      '-i',
      BRIDGE,
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '53',
      '-m',
      'comment',
      '--comment',
      'banger:dns',
      '-j',
      'REDIRECT',
      '--to-ports',
      '22',
    ],
    [
      'iptables',
      '-w',
      '-t',
      'nat',
      '-I',
      'PREROUTING',
      '-d',
      '10.99.0.1/32',
      '-i',
      'canary0',
      '-p',
      'udp',
      '-m',
      'udp',
      '--dport',
      '53',
      '-m',
      'comment',
      '--comment',
      'banger:dns',
      '-j',
      'REDIRECT',
      '--to-ports',
      '42069',
    ],
    ['iptables', '--modprobe=/bin/sh', '-L'],
    // sysctl
    ['sysctl', '-w', 'net.ipv4.ip_default_ttl=1'],
    ['sysctl', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.ip_default_ttl=1'],
    ['sysctl', '-w', 'net.ipv4.conf.all.rp_filter=0'],
    ['sysctl', '-p', precious],
    ['sysctl', '--system'],
    ['sysctl', '-w', 'net.ipv6.conf.all.disable_ipv6=1'],
    ['sysctl', '-w', 'net.ipv6.conf.lo.disable_ipv6=1'],
    ['sysctl', '-w', `net.ipv6.conf.${BRIDGE}.disable_ipv6=0`],
    ['sysctl', '-w', `net.ipv6.conf.${BRIDGE}/../lo.disable_ipv6=1`],
    // guest isolation's shapes, aimed elsewhere
    [
      'iptables',
      '-w',
      '-t',
      'filter',
      '-I',
      'INPUT',
      '-i',
      'lo',
      '-m',
      'comment',
      '--comment',
      'banger:isolate',
      '-j',
      'DROP',
    ],
    [
      'iptables',
      '-w',
      '-t',
      'filter',
      '-I',
      'FORWARD',
      '-i',
      'canary0',
      '-o',
      'canary0',
      '-m',
      'comment',
      '--comment',
      'banger:isolate',
      '-j',
      'DROP',
    ],
    ['ip', 'link', 'set', 'dev', tapNameForVm(VM, OTHER_UID), 'type', 'bridge_slave', 'isolated', 'on'],
    // resolved
    ['resolvectl', 'dns', 'canary0', '10.99.0.1'],
    ['resolvectl', 'dns', BRIDGE, '1.2.3.4'],
    ['resolvectl', 'domain', BRIDGE, '~.'],
    ['resolvectl', 'default-route', BRIDGE, 'true'],
    // other programs, paths and the helper's own protocol
    ['sh', '-c', `touch ${join(canaryDir, 'new')}`],
    ['/bin/sh', '-c', 'id'],
    ['/usr/sbin/ip', 'link', 'del', 'dev', 'canary0'],
    ['../../../../bin/sh'],
    ['--grant', 'x'],
    ['--grant\nip'],
    [],
    ['ip\nlink', 'del', 'dev', 'canary0'],
    ['ip', 'link', 'del', 'dev', 'canary0\n'],
  ];
}
