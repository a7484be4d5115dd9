import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { ensureBridge, inspectBridge } from './bridge.js';
import { PrivilegedRunner } from './privileged.js';

const config = { name: 'banger0', gatewayIp: '172.16.0.1', cidr: '172.16.0.0/24' };

function host(link: { kind?: string; alias?: string; up?: boolean } | undefined, addrs: string[] = []) {
  const fake = new FakeRunner();
  if (link === undefined) {
    fake.on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], {
      exitCode: 1,
      stderr: 'Device "banger0" does not exist.',
    });
  } else {
    const json = {
      ifname: 'banger0',
      flags: link.up === false ? ['BROADCAST'] : ['BROADCAST', 'UP'],
      ...(link.alias ? { ifalias: link.alias } : {}),
      linkinfo: { info_kind: link.kind ?? 'bridge' },
    };
    fake.on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], { stdout: JSON.stringify([json]) });
  }
  const addrInfo = addrs.map((a) => ({
    family: 'inet',
    local: a.split('/')[0],
    prefixlen: Number(a.split('/')[1]),
  }));
  fake.on(['/usr/sbin/ip', '-j', '-4', 'addr'], { stdout: JSON.stringify([{ addr_info: addrInfo }]) });
  // The changes ensureBridge may make, each asserted through privileged().
  fake.on(['/usr/sbin/ip', 'link'], {}).on(['/usr/sbin/ip', 'addr'], {});
  const priv = new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT });
  const privileged = () => fake.commandLines.filter((l) => !l.includes(' -j '));
  return { fake, priv, privileged };
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

describe('ensureBridge', () => {
  it('creates a missing bridge with a fixed MAC, the gateway address and banger’s alias', async () => {
    const { fake, priv, privileged } = host(undefined);
    expect(await ensureBridge(fake, priv, config, { vmsRunning: false })).toEqual({
      created: true,
      readdressed: false,
    });
    expect(privileged()).toEqual([
      '/usr/sbin/ip link add banger0 address 06:00:ac:10:00:01 type bridge',
      '/usr/sbin/ip addr add 172.16.0.1/24 dev banger0',
      '/usr/sbin/ip link set dev banger0 alias banger-bridge up',
    ]);
  });

  it('leaves a ready bridge alone', async () => {
    const { fake, priv, privileged } = host({ alias: 'banger-bridge' }, ['172.16.0.1/24']);
    expect(await ensureBridge(fake, priv, config, { vmsRunning: true })).toEqual({
      created: false,
      readdressed: false,
    });
    expect(privileged()).toEqual([]);
    expect((await inspectBridge(fake, '/usr/sbin/ip', config)).ready).toBe(true);
  });

  it('brings a down bridge up', async () => {
    const { fake, priv, privileged } = host({ alias: 'banger-bridge', up: false }, ['172.16.0.1/24']);
    await ensureBridge(fake, priv, config, { vmsRunning: false });
    expect(privileged()).toEqual(['/usr/sbin/ip link set dev banger0 alias banger-bridge up']);
  });

  it('re-addresses its own bridge when no VM runs', async () => {
    const { fake, priv, privileged } = host({ alias: 'banger-bridge' }, ['10.9.0.1/24']);
    expect(await ensureBridge(fake, priv, config, { vmsRunning: false })).toEqual({
      created: false,
      readdressed: true,
    });
    expect(privileged()).toEqual([
      '/usr/sbin/ip addr add 172.16.0.1/24 dev banger0',
      '/usr/sbin/ip addr del 10.9.0.1/24 dev banger0',
    ]);
  });

  it('refuses to re-address while VMs run', async () => {
    const { fake, priv, privileged } = host({ alias: 'banger-bridge' }, ['10.9.0.1/24']);
    const err = await failure(ensureBridge(fake, priv, config, { vmsRunning: true }));
    expect(err.code).toBe('conflict');
    expect(err.message).toBe(
      'bridge banger0 has 10.9.0.1/24 but config asks for 172.16.0.1/24; stop all VMs, then restart the daemon to re-address the bridge (or revert bridge_ip/cidr in config.toml)',
    );
    expect(privileged()).toEqual([]);
  });

  it('never re-addresses a bridge banger did not create', async () => {
    const { fake, priv, privileged } = host({}, ['10.9.0.1/24']);
    const err = await failure(ensureBridge(fake, priv, config, { vmsRunning: false }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('was not created by banger');
    expect(privileged()).toEqual([]);
  });

  it('uses a foreign bridge that already has the address', async () => {
    const { fake, priv, privileged } = host({}, ['172.16.0.1/24', '192.168.5.1/24']);
    expect(await ensureBridge(fake, priv, config, { vmsRunning: false })).toEqual({
      created: false,
      readdressed: false,
    });
    expect(privileged()).toEqual([]);
  });

  it('refuses an interface of that name that is not a bridge', async () => {
    const { fake, priv } = host({ kind: 'veth' });
    const err = await failure(ensureBridge(fake, priv, config, { vmsRunning: false }));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('is not a bridge');
  });

  it('deletes the half-made bridge when addressing fails', async () => {
    const failing = new FakeRunner()
      .on(['/usr/sbin/ip', '-d'], { exitCode: 1, stderr: 'Device "banger0" does not exist.' })
      .on(['/usr/sbin/ip', 'addr', 'add'], { exitCode: 2, stderr: 'RTNETLINK answers: Permission denied' })
      .on(['/usr/sbin/ip', 'link'], {});
    const priv = new PrivilegedRunner(failing, { asRoot: true, grant: TEST_GRANT });
    await expect(ensureBridge(failing, priv, config, { vmsRunning: false })).rejects.toThrow(
      /Permission denied/,
    );
    expect(failing.commandLines.at(-1)).toBe('/usr/sbin/ip link del dev banger0');
  });
});
