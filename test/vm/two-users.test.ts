import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmView } from '../../src/api/vms.js';
import { tapNameForVm } from '../../src/domain/network.js';
import type { RunResult } from '../../src/host/runner.js';
import { firecrackerBin } from '../support/firecracker-bin.js';
import { createNetns, destroyAllNetns, type TestNetns } from '../support/netns.js';
import { BANGER } from '../support/sandbox.js';
import { createTestUser, type TestUser } from '../support/test-user.js';

/**
 * Two ordinary users on one host (one network namespace), each with banger
 * set up by `sudo banger system setup --install-sudoers` and its own bridge
 * and subnet. Each user's daemon (the stand-in in no-guest mode) creates a
 * `--nat` VM through `sudo -n` and the root helper; restarting either
 * daemon leaves the other's TAP and rules intact; deleting removes exactly
 * one's own.
 */
interface BangerUser {
  user: TestUser;
  uid: number;
  bridge: string;
  subnet: string;
  cli(args: string[]): Promise<RunResult>;
}

let ns: TestNetns;
let root: string;
let tunMode: number | undefined;
const users: BangerUser[] = [];

async function makeUser(name: string, uid: number, n: number): Promise<BangerUser> {
  const user = createTestUser(ns.runner, name, uid);
  // The user runs the CLI, daemon and stand-in from the checkout as it can reach it.
  const dist = join(user.repo, 'dist');
  const dir = join(root, name);
  const home = join(dir, 'home');
  const run = join(dir, 'run');
  mkdirSync(join(home, '.config', 'banger'), { recursive: true });
  mkdirSync(run);
  const bridge = `bgu${n}`;
  const subnet = `172.${20 + n}.0`;
  writeFileSync(
    join(home, '.config', 'banger', 'config.toml'),
    [
      `firecracker_bin = ${JSON.stringify(firecrackerBin(join(dist, 'tools', 'firecracker-standin.js')))}`,
      `root_helper = "${join(root, 'libexec', 'banger-root')}"`,
      `bridge_name = "${bridge}"`,
      `bridge_ip = "${subnet}.1"`,
      `cidr = "${subnet}.0/24"`,
      `dns_listen_addr = "127.0.0.1:${42070 + n}"`,
      'tap_pool_size = 1',
      'system_overlay_size = "256M"',
      '[vm_defaults]',
      'disk_size = "256M"',
      'memory_mib = 256',
      '',
    ].join('\n'),
  );
  // A placeholder image: the no-guest stand-in only opens its files.
  const image = join(dir, 'image');
  mkdirSync(image);
  execFileSync('mkfs.ext4', ['-q', '-F', join(image, 'rootfs.ext4'), '64M']);
  writeFileSync(join(image, 'vmlinux'), 'not a kernel');
  writeFileSync(join(image, 'initrd.img'), 'not an initrd');
  execFileSync('chown', ['-R', `${uid}:${uid}`, dir]);
  chmodSync(dir, 0o700);
  chmodSync(run, 0o700);
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_RUNTIME_DIR: run,
    BANGER_DAEMON_BIN: join(dist, 'bangerd.js'),
    BANGER_STANDIN_NO_GUEST: '1',
    // Where .ci/run put Firecracker's API description, when it is not next to the repository.
    ...(process.env.BANGER_FIRECRACKER_API_SPEC
      ? { BANGER_FIRECRACKER_API_SPEC: process.env.BANGER_FIRECRACKER_API_SPEC }
      : {}),
  };
  const setup = await user.asRoot.run(
    [
      process.execPath,
      BANGER,
      'system',
      'setup',
      '--install-sudoers',
      '--helper-dir',
      join(root, 'libexec'),
      '--grants-dir',
      join(root, 'grants'),
      '--config',
      join(home, '.config', 'banger', 'config.toml'),
    ],
    { check: false, env: { PATH: env.PATH, HOME: '/root', SUDO_USER: name }, timeoutMs: 60_000 },
  );
  expect(setup.stderr).toBe('');
  expect(setup.exitCode).toBe(0);
  const cli = (args: string[]) =>
    user.asUser.run([process.execPath, join(dist, 'banger.js'), ...args], {
      check: false,
      env,
      timeoutMs: 120_000,
    });
  const registered = await cli([
    'image',
    'register',
    'img',
    '--rootfs',
    join(image, 'rootfs.ext4'),
    '--kernel',
    join(image, 'vmlinux'),
    '--initrd',
    join(image, 'initrd.img'),
  ]);
  expect(registered.exitCode, registered.stderr).toBe(0);
  return { user, uid, bridge, subnet, cli };
}

const links = async () => (await ns.sh('ip -o link show')).stdout;
const rules = async () => (await ns.sh('iptables-save')).stdout;
const vmOf = async (u: BangerUser): Promise<VmView> => {
  const r = await u.cli(['vm', 'list', '--json']);
  const [vm] = JSON.parse(r.stdout) as VmView[];
  if (!vm) throw new Error(`no VM for ${u.user.name}: ${r.stderr}`);
  return vm;
};
/** What must stay while the other user's daemon restarts: the VM's TAP line and its tagged rules. */
const footprint = async (u: BangerUser, vm: VmView) => ({
  tap: (await links()).split('\n').filter((l) => l.includes(`: ${tapNameForVm(vm.id, u.uid)}:`)),
  rules: (await rules()).split('\n').filter((l) => l.includes(`banger:${vm.id}`)),
});

beforeAll(async () => {
  ns = await createNetns('twousers');
  root = mkdtempSync(join(tmpdir(), 'banger-two-users-'));
  chmodSync(root, 0o755);
  // Firecracker opens /dev/net/tun as the user; these machines ship it 0600 (most distros 0666).
  tunMode = statSync('/dev/net/tun').mode & 0o777;
  chmodSync('/dev/net/tun', 0o666);
  users.push(await makeUser('bangerone', 4501, 1), await makeUser('bangertwo', 4502, 2));
}, 240_000);

afterAll(async () => {
  await destroyAllNetns();
  if (tunMode !== undefined) chmodSync('/dev/net/tun', tunMode);
  for (const u of users) u.user.remove();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('two banger users on one host', () => {
  it("each creates a --nat VM through sudo -n; restarting either daemon leaves the other's TAP and rules", async () => {
    const [a, b] = users as [BangerUser, BangerUser];
    for (const u of [a, b]) {
      const created = await u.cli(['vm', 'create', '--name', 'box', '--image', 'img', '--nat', '--no-wait']);
      expect(created.exitCode, created.stderr).toBe(0);
    }
    const vmA = await vmOf(a);
    const vmB = await vmOf(b);
    for (const [u, vm] of [
      [a, vmA],
      [b, vmB],
    ] as const) {
      expect(vm).toMatchObject({ state: 'running', nat: true });
      const f = await footprint(u, vm);
      expect(f.tap).toHaveLength(1);
      expect(f.tap[0]).toContain(`master ${u.bridge}`);
      expect(f.rules).toHaveLength(3);
      expect(f.rules.every((r) => r.includes(u.bridge))).toBe(true);
    }
    // The daemons run as their users: their privileged commands went through sudo -n and the helper.
    const daemons = (await ns.sh('ps -o user=,args= -C node')).stdout;
    expect(daemons).toMatch(/^4501 .*bangerd/m);
    expect(daemons).toMatch(/^4502 .*bangerd/m);

    const beforeB = await footprint(b, vmB);
    expect((await a.cli(['daemon', 'stop'])).exitCode).toBe(0);
    expect((await a.cli(['vm', 'list', '--json'])).exitCode).toBe(0); // a fresh daemon A reconciles
    expect(await vmOf(a)).toMatchObject({ state: 'running' });
    expect(await footprint(b, vmB)).toEqual(beforeB);

    const beforeA = await footprint(a, vmA);
    expect((await b.cli(['daemon', 'stop'])).exitCode).toBe(0);
    expect((await b.cli(['vm', 'list', '--json'])).exitCode).toBe(0);
    expect(await footprint(a, vmA)).toEqual(beforeA);
    expect(await footprint(b, vmB)).toEqual(beforeB);

    // Deleting A's VM removes exactly A's TAP and rules.
    expect((await a.cli(['vm', 'delete', 'box'])).exitCode).toBe(0);
    expect(await footprint(a, vmA)).toEqual({ tap: [], rules: [] });
    expect(await footprint(b, vmB)).toEqual(beforeB);
    expect((await b.cli(['vm', 'delete', 'box'])).exitCode).toBe(0);
    expect(await footprint(b, vmB)).toEqual({ tap: [], rules: [] });
    for (const u of [a, b]) await u.cli(['daemon', 'stop']);
  });
});
