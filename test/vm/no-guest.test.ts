import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VmStatsView, VmView } from '../../src/api/vms.js';
import { processAlive } from '../support/qemu-standin.js';
import { BANGER } from '../support/sandbox.js';
import {
  createNoGuestHarness,
  isPoolTapLine,
  json,
  listTree,
  mustRun,
  type VmHarness,
  vmIptables,
  vmTapLines,
} from '../support/vm-harness.js';
import { startTmux } from '../tui/tmux.js';

/**
 * The VM lifecycle end to end with the Firecracker stand-in's no-guest mode:
 * the real daemon, CLI, SQLite, disks, bridge/TAPs/iptables (in a private
 * network namespace) and Firecracker API, without booting guests.
 */

let h: VmHarness;

const ok = (args: string[]) => mustRun(h, args);

const vmList = async () => json<VmView[]>(await ok(['vm', 'list', '--json']));
const links = () => h.netns.sh('ip -o link show').then((r) => r.stdout);
const iptables = () => vmIptables(h);
const vmTaps = () => vmTapLines(h);

beforeAll(async () => {
  h = await createNoGuestHarness('ng');
});

afterAll(async () => {
  await h?.cleanup();
});

// A failed test must not leave VMs (or a daemon with failpoints) to the next one.
afterEach(async () => {
  await h.banger(['daemon', 'stop']);
  const names = (await vmList()).map((v) => v.name);
  if (names.length) await h.banger(['vm', 'delete', ...names]);
});

/** A directory with a `banger` to put on PATH, as the shells' scripts call it by name, with this harness's HOME. */
function bangerBinDir(): string {
  const bin = join(h.root, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'banger'), `#!/bin/sh\nexec "${process.execPath}" "${BANGER}" "$@"\n`, {
    mode: 0o755,
  });
  return bin;
}

/**
 * A real interactive zsh (in a tmux server of its own, inside the harness's
 * namespace) with banger's completion loaded: types `banger vm show `, presses
 * TAB, then types `zz`. Once zsh has read `zz` (so the completion has
 * finished) and `settled` accepts the lines below the command line (what
 * the completion listed), resolves with those lines.
 */
async function zshTab(label: string, settled: (below: string[]) => boolean): Promise<string[]> {
  const dir = join(h.root, `zsh-${label}`);
  mkdirSync(dir); // also the shell's working directory, with tmux's files: a fallback to files would show
  const t = startTmux({
    dir,
    env: { ...h.env, PATH: `${bangerBinDir()}:${h.env.PATH}` },
    width: 100,
    height: 20,
    command: `cd ${dir} && ip netns exec ${h.netns.name} zsh -f`,
  });
  try {
    // $((1+1)): the output line (zsh-2-ready) is not the typed one.
    t.keys(
      ['autoload -U compinit && compinit -u && source <(banger completion zsh) && echo zsh-$((1+1))-ready'],
      true,
    );
    t.keys(['Enter']);
    await t.waitFor('zsh with banger completion', (l) => l.includes('zsh-2-ready'), 30_000);
    t.keys(['banger vm show '], true);
    t.keys(['Tab']);
    t.keys(['zz'], true);
    const below = (screen: string[]) => {
      const at = screen.findIndex((l) => /banger vm show .*zz$/.test(l.trimEnd()));
      return at < 0 ? undefined : screen.slice(at + 1);
    };
    await t.waitFor(
      'the completion',
      (screen) => {
        const listed = below(screen);
        return listed !== undefined && settled(listed);
      },
      30_000,
    );
    return below(t.screen()) ?? [];
  } finally {
    t.kill();
  }
}

/** Shell completion offers the daemon's VM names and images: the protocol, a real fish, bash and zsh. */
async function expectVmNameCompletion(names: string[]): Promise<void> {
  const words = async (args: string[]) =>
    (await ok(['complete', '--', ...args])).stdout
      .split('\n')
      .map((l) => l.split('\t')[0])
      .filter((w) => w && !w.startsWith(':'));
  expect(await words(['vm', 'show', ''])).toEqual(names);
  expect(await words(['vm', 'delete', 'a', ''])).toEqual(names);
  expect(await words(['vm', 'ssh', ''])).toEqual(names);
  expect(await words(['vm', 'create', '--image', ''])).toEqual(['test-image']);
  expect(await words(['image', 'pull', ''])).toEqual(['debian-bookworm']);
  const bin = bangerBinDir();
  const shell = (argv: string[]) =>
    spawnSync(argv[0]!, argv.slice(1), { env: { ...h.env, PATH: `${bin}:${h.env.PATH}` }, encoding: 'utf8' });
  const fish = shell(['fish', '-c', 'banger completion fish | source; complete -C "banger vm show "']);
  expect(fish.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(names));
  const bash = shell([
    'bash',
    '-c',
    [
      'source /usr/share/bash-completion/bash_completion',
      'source <(banger completion bash)',
      'COMP_WORDS=(banger vm show ""); COMP_CWORD=3; COMP_LINE="banger vm show "; COMP_POINT=${#COMP_LINE}',
      '__banger_complete banger "" show',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n'),
  ]);
  expect(bash.stdout.split('\n')).toEqual(expect.arrayContaining(names));
  // zsh lists values without a description on one line, ending in `--` (their empty description).
  const listed = (below: string[]) =>
    below
      .join(' ')
      .split(/\s+/)
      .filter((w) => w && w !== '--');
  const zshListed = await zshTab('names', (below) => names.every((n) => listed(below).includes(n)));
  expect(listed(zshListed).sort()).toEqual([...names].sort());
}

describe('vm lifecycle (no-guest stand-in)', () => {
  it('create, stop, start, set NAT, delete: TAP, rules, files and record follow', async () => {
    const before = await iptables();
    const created = await ok([
      'vm',
      'create',
      '--name',
      'box',
      '--image',
      'test-image',
      '--nat',
      '--no-wait',
    ]);
    expect(created.stderr).toMatch(
      /^spec: 1 vCPU \((host|built-in)\), 256 MiB \(vm_defaults\), 256M disk \(vm_defaults\)/m,
    );
    const [vm] = await vmList();
    expect(vm).toMatchObject({ name: 'box', state: 'running', nat: true, dnsName: 'box.vm' });
    expect(vm?.pid).toBeGreaterThan(0);
    expect(processAlive(vm!.pid!)).toBe(true);
    expect(await vmTaps()).toHaveLength(1);
    expect(await iptables()).toContain(`banger:${vm!.id}`);
    const dir = join(h.vmsDir, vm!.id);
    expect(readdirSync(dir).sort()).toEqual(
      expect.arrayContaining(['handles.json', 'system.ext4', 'work.ext4', 'console.log']),
    );

    const stats = json<VmStatsView>(await ok(['vm', 'stats', 'box', '--json']));
    expect(stats.process?.pid).toBe(vm!.pid);
    expect(stats.process?.rssBytes).toBeGreaterThan(1_000_000);
    expect(stats.disks.map((d) => d.name)).toEqual(['system.ext4', 'work.ext4']);
    expect(stats.disks[0]!.allocatedBytes).toBeLessThan(stats.disks[0]!.apparentBytes);
    expect((await ok(['vm', 'logs', 'box'])).stdout).toContain('Running Firecracker');
    expect((await ok(['vm', 'show', 'box'])).stdout).toMatch(/^state: +running$/m);

    await ok(['vm', 'set', 'box', '--no-nat']);
    expect(await iptables()).toBe(before);

    await ok(['vm', 'stop', 'box']);
    expect((await vmList())[0]?.state).toBe('stopped');
    expect(processAlive(vm!.pid!)).toBe(false);
    expect(await vmTaps()).toHaveLength(0);
    expect(existsSync(join(dir, 'handles.json'))).toBe(false);

    await ok(['vm', 'set', 'box', '--vcpu', '2', '--memory', '512', '--disk-size', '512M']);
    await ok(['vm', 'start', 'box', '--no-wait']);
    const [restarted] = await vmList();
    expect(restarted).toMatchObject({
      state: 'running',
      vcpu: 2,
      memoryMib: 512,
      diskBytes: 512 * 1024 ** 2,
    });
    const refused = await h.banger(['vm', 'set', 'box', '--memory', '1024']);
    expect(refused.status).toBe(5);
    expect(refused.stderr).toMatch(/running.*vm stop box/);

    // `vm logs --follow` keeps streaming while the VM runs and ends when it stops.
    const follow = h.banger(['vm', 'logs', '--follow', 'box'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await ok(['vm', 'stop', 'box']);
    const followed = await follow;
    expect(followed.status).toBe(0);
    expect(followed.stdout).toContain('Running Firecracker');

    const restartedAgain = await ok(['vm', 'restart', 'box', '--no-wait']);
    expect(restartedAgain.stdout).toContain('restarted box');
    const [afterRestart] = await vmList();
    expect(afterRestart).toMatchObject({ state: 'running' });
    expect(afterRestart?.pid).not.toBe(restarted!.pid);
    expect(processAlive(restarted!.pid!)).toBe(false);

    await ok(['vm', 'delete', 'box']);
    expect(await vmList()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(await vmTaps()).toHaveLength(0);
    expect(await iptables()).toBe(before);
    expect(processAlive(afterRestart!.pid!)).toBe(false);
  });

  it('bad input gives one clear line, a stable exit code, and creates nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--vcpu', '0'], 2, /invalid vCPU count 0/],
      [['--memory', '99999999'], 2, /invalid memory 99999999 MiB/],
      [['--name', '../x'], 2, /invalid VM name "\.\.\/x"/],
      [['--disk-size', '1K'], 2, /invalid disk size 1K/],
      [['--image', 'no-such-image'], 4, /no-such-image/],
    ];
    for (const [flags, status, message] of cases) {
      const r = await h.banger(['vm', 'create', '--image', 'test-image', ...flags, '--no-wait']);
      expect(r.status, flags.join(' ')).toBe(status);
      expect(r.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(await vmList()).toEqual([]);
    expect(listTree(h.vmsDir)).toEqual([]);
  });

  it('two creates with the same name: exactly one wins', async () => {
    const results = await Promise.all(
      [1, 2].map(() => h.banger(['vm', 'create', '--name', 'twin', '--image', 'test-image', '--no-wait'])),
    );
    expect(results.map((r) => r.status).sort()).toEqual([0, 5]);
    expect((await vmList()).map((v) => v.name)).toEqual(['twin']);
    await ok(['vm', 'delete', 'twin']);
  });

  it('vm set on several VMs changes each and reports each; a bad ref fails alone', async () => {
    for (const name of ['a', 'b', 'c'])
      await ok(['vm', 'create', '--name', name, '--image', 'test-image', '--nat', '--no-start']);
    await expectVmNameCompletion(['a', 'b', 'c']);
    const r = await h.banger(['vm', 'set', '--no-nat', 'a', 'b', 'nope', 'c']);
    expect(r.status).toBe(4);
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      ['a', 'b', 'c'].map((n) => expect.stringMatching(new RegExp(`^${n}: .* NAT off$`))),
    );
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^banger: nope: .*nope/),
      'banger: 1 of 4 VMs failed (see above)',
    ]);
    expect((await vmList()).map((v) => [v.name, v.nat]).sort()).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
    ]);
    const changed = json<VmView[]>(await ok(['vm', 'set', '--nat', '--json', 'a', 'c']));
    expect(changed.map((v) => [v.name, v.nat])).toEqual([
      ['a', true],
      ['c', true],
    ]);
    expect(json<VmView>(await ok(['vm', 'set', '--vcpu', '2', '--json', 'b']))).toMatchObject({
      name: 'b',
      vcpu: 2,
    });
    // With the daemon stopped, completion offers no names (the VMs are still there) and starts no daemon.
    await ok(['daemon', 'stop']);
    const offline = await ok(['complete', '--', 'vm', 'show', '']);
    expect(offline.stdout.split('\n').filter((l) => l && !l.startsWith(':'))).toEqual([]);
    // zsh: nothing listed below the line, not even the files of its working directory.
    expect((await zshTab('offline', () => true)).join('').trim()).toBe('');
    expect(existsSync((await ok(['daemon', 'socket'])).stdout.trim())).toBe(false);
    await ok(['vm', 'delete', 'a', 'b', 'c']);
  });

  it('20 concurrent creates get distinct addresses and TAPs; deleting them returns to baseline', async () => {
    const baseTables = await iptables();
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const results = await Promise.all(
      names.map((n) => h.banger(['vm', 'create', '--name', n, '--image', 'test-image', '--no-wait'])),
    );
    for (const r of results) expect(r.status, r.stderr).toBe(0);
    const vms = await vmList();
    expect(vms).toHaveLength(20);
    expect(new Set(vms.map((v) => v.guestIp)).size).toBe(20);
    expect(new Set(vms.map((v) => v.tap)).size).toBe(20);
    expect(vms.every((v) => v.state === 'running')).toBe(true);
    expect(await vmTaps()).toHaveLength(20);
    await ok(['vm', 'delete', ...names]);
    expect(await vmList()).toEqual([]);
    expect(await vmTaps()).toHaveLength(0);
    expect(await iptables()).toBe(baseTables);
    expect(listTree(h.vmsDir)).toEqual([]);
  });

  it('100 create/delete cycles return fds, TAPs, rules and files to baseline', {
    timeout: 600_000,
  }, async () => {
    const daemonFds = () => {
      const pid = readFileSync(join(h.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.pid'), 'utf8').trim();
      return readdirSync(`/proc/${pid}/fd`).length;
    };
    // One warm-up cycle so lazily opened things (network, SSH key, pool TAPs) exist at the baseline.
    await ok(['vm', 'create', '--name', 'warm', '--image', 'test-image', '--nat', '--no-wait']);
    await ok(['vm', 'delete', 'warm']);
    // Pool TAPs are capacity: they are replaced as VMs take them, so they are not compared.
    const ownLinks = async () => (await links()).split('\n').filter((l) => !isPoolTapLine(l));
    const base = {
      fds: daemonFds(),
      links: await ownLinks(),
      tables: await iptables(),
      files: listTree(h.stateDir),
    };
    for (let i = 0; i < 100; i++) {
      await ok(['vm', 'create', '--name', `cycle-${i}`, '--image', 'test-image', '--nat', '--no-wait']);
      await ok(['vm', 'delete', `cycle-${i}`]);
    }
    expect(await ownLinks()).toEqual(base.links);
    expect(await iptables()).toBe(base.tables);
    expect(listTree(h.stateDir).filter((f) => !f.endsWith('bangerd.log'))).toEqual(
      base.files.filter((f) => !f.endsWith('bangerd.log')),
    );
    expect(daemonFds()).toBeLessThanOrEqual(base.fds + 2);
  });

  it('a failure injected at each create step leaves nothing behind', async () => {
    const baseTables = await iptables();
    for (const step of ['reserve', 'directory', 'system-disk', 'work-disk', 'network', 'firecracker']) {
      await ok(['daemon', 'stop']);
      const r = await h.banger(['vm', 'create', '--name', 'fp', '--image', 'test-image', '--no-wait'], {
        env: { BANGER_FAILPOINTS: `create:${step}` },
      });
      expect(r.status, step).toBe(8);
      expect(r.stderr, step).toContain(`failpoint create:${step} injected`);
      expect(await vmList(), step).toEqual([]);
      expect(listTree(h.vmsDir), step).toEqual([]);
      expect(await vmTaps(), step).toHaveLength(0);
      expect(await iptables(), step).toBe(baseTables);
    }
    await ok(['daemon', 'stop']);
  });

  it('kill -9 of the daemon: live VMs are adopted, dead ones released, a planted PID is left alone', async () => {
    for (const n of ['keep1', 'keep2', 'dies', 'planted']) {
      await ok(['vm', 'create', '--name', n, '--image', 'test-image', '--nat', '--no-wait']);
    }
    const before = Object.fromEntries((await vmList()).map((v) => [v.name, v]));
    const daemonPid = Number(readFileSync(join(h.env.XDG_RUNTIME_DIR!, 'banger', 'bangerd.pid'), 'utf8'));
    process.kill(daemonPid, 'SIGKILL');
    process.kill(before.dies!.pid!, 'SIGKILL');
    // An unrelated process at the PID recorded for "planted": its Firecracker is killed first.
    process.kill(before.planted!.pid!, 'SIGKILL');
    const sleeper = (await h.netns.sh('sleep 300 >/dev/null 2>&1 & echo $!')).stdout.trim();
    const plantedDir = join(h.vmsDir, before.planted!.id);
    const handles = JSON.parse(readFileSync(join(plantedDir, 'handles.json'), 'utf8'));
    writeFileSync(join(plantedDir, 'handles.json'), JSON.stringify({ ...handles, pid: Number(sleeper) }));
    await new Promise((r) => setTimeout(r, 300));

    const after = Object.fromEntries((await vmList()).map((v) => [v.name, v]));
    for (const n of ['keep1', 'keep2']) {
      expect(after[n]).toMatchObject({
        state: 'running',
        pid: before[n]!.pid,
        startedAt: before[n]!.startedAt,
      });
    }
    expect(after.dies?.state).toBe('stopped');
    expect(after.planted?.state).toBe('stopped');
    expect(processAlive(Number(sleeper))).toBe(true);
    const tables = await iptables();
    expect(tables).toContain(`banger:${before.keep1!.id}`);
    expect(tables).not.toContain(`banger:${before.dies!.id}`);
    expect(tables).not.toContain(`banger:${before.planted!.id}`);
    expect(await vmTaps()).toHaveLength(2);
    process.kill(Number(sleeper), 'SIGKILL');
    await ok(['vm', 'delete', 'keep1', 'keep2', 'dies', 'planted']);
  });
});
