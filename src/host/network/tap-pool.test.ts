import { describe, expect, it } from 'vitest';
import { tapNameForVm } from '../../domain/network.js';
import { type FakeResponse, FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT, testVmId } from '../../testing/grant.js';
import type { Runner } from '../runner.js';
import { silentNetworkLog } from './log.js';
import { PrivilegedRunner } from './privileged.js';
import { TapPool } from './tap-pool.js';

/** A pool over these links; `failing` is scripted before the TAP changes that succeed. */
function pool(existing: object[] = [], size = 4, failing?: [string[], FakeResponse]) {
  const fake = new FakeRunner().on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], (argv) =>
    argv.includes('dev')
      ? { exitCode: 1, stderr: 'Device does not exist.' }
      : { stdout: JSON.stringify(existing) },
  );
  if (failing) fake.on(...failing);
  fake.on(['/usr/sbin/ip', 'tuntap'], {}).on(['/usr/sbin/ip', 'link'], {});
  const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
  const warnings: string[] = [];
  const log = { ...silentNetworkLog, warn: (_: object, msg: string) => warnings.push(msg) };
  return {
    fake,
    warnings,
    pool: new TapPool({ runner: fake, priv, bridge: 'banger0', uid: 1000, size, log }),
  };
}

describe('TapPool', () => {
  it('fills itself in the background with down, bridged, user-owned TAPs', async () => {
    const { fake, pool: p } = pool();
    await p.start();
    await p.settled();
    expect(p.idleCount).toBe(4);
    expect(fake.commandLines.filter((l) => !l.includes(' -j '))).toEqual(
      [0, 1, 2, 3].flatMap((i) => [
        `/usr/sbin/ip tuntap add dev bgrs-p${i} mode tap user 1000`,
        `/usr/sbin/ip link set dev bgrs-p${i} master banger0 alias banger-pool`,
      ]),
    );
  });

  it('never hands one pool TAP to two concurrent acquires', async () => {
    const { fake, pool: p } = pool();
    await p.start();
    await p.settled();
    const ids = Array.from({ length: 20 }, (_, i) => testVmId(i));
    const taps = await Promise.all(ids.map((id) => p.acquire(id)));
    expect(taps).toEqual(ids.map((id) => tapNameForVm(id, 1000)));
    const renamed = fake.calls.filter((argv) => argv.includes('name')).map((argv) => argv[4]);
    expect(renamed.length).toBeGreaterThanOrEqual(4);
    expect(new Set(renamed).size).toBe(renamed.length);
    await p.settled();
    expect(p.idleCount).toBe(4);
  });

  it('does not spin while an acquire renames a pool TAP (the event loop keeps turning)', async () => {
    const { fake } = pool();
    const slow: Runner = {
      run: async (argv, options) => {
        if (argv.includes('name')) await new Promise((r) => setTimeout(r, 20));
        return fake.run(argv, options);
      },
    };
    const p = new TapPool({
      runner: slow,
      priv: new PrivilegedRunner(slow, { asRoot: true, grant: TEST_GRANT }),
      bridge: 'banger0',
      uid: 1000,
      size: 2,
      log: silentNetworkLog,
    });
    await p.start();
    await p.settled();
    await Promise.all([p.acquire(testVmId(1)), p.acquire(testVmId(2)), p.acquire(testVmId(3))]);
    await p.settled();
    expect(p.idleCount).toBe(2);
  });

  it('adopts its own idle TAPs and ignores look-alikes', async () => {
    const tap = (ifname: string, extra: object) => ({
      ifname,
      flags: ['BROADCAST'],
      master: 'banger0',
      linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 1000 } },
      ...extra,
    });
    const { fake, pool: p } = pool([
      tap('bgrs-p0', { ifalias: 'banger-pool' }),
      tap('bgrs-p1', {}), // no alias: not ours
      tap('bgrs-px', { ifalias: 'banger-pool' }),
      tap('bgrs-p2', {
        ifalias: 'banger-pool',
        linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 7 } },
      }),
    ]);
    await p.start();
    await p.settled();
    const mutations = fake.commandLines.filter((l) => !l.includes(' -j '));
    expect(mutations[0]).toBe('/usr/sbin/ip link del dev bgrs-p2'); // ours, but owned by another uid
    expect(mutations.join('\n')).not.toMatch(/bgrs-p1 |bgrs-p0 |bgrs-px/);
    expect(mutations.filter((l) => l.includes('tuntap add')).map((l) => l.split(' ')[4])).toEqual([
      'bgrs-p2',
      'bgrs-p3',
      'bgrs-p4',
    ]);
  });

  it('recognises its TAPs when ip shows the owner by user name', async () => {
    const named = {
      ifname: 'bgrs-p0',
      flags: ['BROADCAST'],
      master: 'banger0',
      ifalias: 'banger-pool',
      linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 'alice' } },
    };
    const other = {
      ...named,
      ifname: 'bgrs-p1',
      linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 'bob' } },
    };
    const { fake, pool: p } = pool([named, other], 1);
    fake.on(['getent', 'passwd', '1000'], { stdout: 'alice:x:1000:1000::/home/alice:/bin/sh\n' });
    await p.start();
    await p.settled();
    expect(p.idleCount).toBe(1);
    expect(fake.commandLines.filter((l) => !l.includes(' -j ') && !l.startsWith('getent'))).toEqual([
      '/usr/sbin/ip link del dev bgrs-p1',
    ]);
  });

  it('keeps its pool TAPs when sudo refuses the rename', async () => {
    const adopted = [0, 1].map((i) => ({
      ifname: `bgrs-p${i}`,
      flags: [],
      master: 'banger0',
      ifalias: 'banger-pool',
      linkinfo: { info_kind: 'tun', info_data: { type: 'tap', user: 1000 } },
    }));
    const fake = new FakeRunner()
      .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], (argv) =>
        argv.includes('dev')
          ? { exitCode: 1, stderr: 'Device does not exist.' }
          : { stdout: JSON.stringify(adopted) },
      )
      .on(['sudo'], { exitCode: 1, stderr: 'sudo: a password is required' });
    const warnings: string[] = [];
    const p = new TapPool({
      runner: fake,
      priv: new PrivilegedRunner(fake, { asRoot: false, grant: TEST_GRANT }),
      bridge: 'banger0',
      uid: 1000,
      size: 2,
      log: { ...silentNetworkLog, warn: (_: object, msg: string) => warnings.push(msg) },
    });
    await p.start();
    await expect(p.acquire(testVmId(1))).rejects.toThrow(/sudo -n refused banger's root helper/);
    expect(p.idleCount).toBe(2);
    expect(fake.commandLines.filter((l) => l.startsWith('sudo'))).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('logs a refill failure instead of throwing it away', async () => {
    const {
      fake: failing,
      warnings,
      pool: p,
    } = pool([], 2, [['/usr/sbin/ip', 'tuntap'], { exitCode: 1, stderr: 'open: No such device' }]);
    await p.start();
    await p.settled();
    expect(warnings).toEqual(['could not refill the TAP pool; retrying at the next VM start']);
    expect(failing.commandLines.filter((l) => l.includes('tuntap'))).toHaveLength(1);
  });
});
