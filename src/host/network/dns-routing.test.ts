import { describe, expect, it } from 'vitest';
import { FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { CommandError } from '../runner.js';
import { isAllowed } from './allow-list.js';
import {
  applyDnsRouting,
  dnsRoutingCommands,
  dnsRoutingRecipe,
  inspectDnsRouting,
  parseLinkSetting,
} from './dns-routing.js';
import { resolveGrant } from './grant.js';
import { HostNetwork } from './host-network.js';
import type { NetworkLog } from './log.js';
import { PrivilegedRunner } from './privileged.js';

const GRANT = resolveGrant(TEST_GRANT);

const R = '/usr/bin/resolvectl';
const target = { link: 'banger0', server: '172.16.0.1:42069' };
const routed: Record<string, string> = {
  dns: '172.16.0.1:42069',
  domain: '~vm',
  'default-route': 'no',
  dnssec: 'no',
  dnsovertls: 'no',
  llmnr: 'no',
  mdns: 'no',
};

function resolved(values: Record<string, string>): FakeRunner {
  return new FakeRunner().on(
    (a) => a[0] === R && a.length === 3,
    (a) => ({ stdout: `Link 7 (banger0): ${values[a[1] ?? ''] ?? ''}\n` }),
  );
}

describe('resolvectl planning', () => {
  it('plans the documented commands, every one on the allow-list', () => {
    const commands = dnsRoutingCommands(target);
    expect(commands.map((c) => c.join(' '))).toEqual([
      'dns banger0 172.16.0.1:42069',
      'domain banger0 ~vm',
      'default-route banger0 false',
      'dnssec banger0 no',
      'dnsovertls banger0 no',
      'llmnr banger0 no',
      'mdns banger0 no',
    ]);
    for (const args of commands) expect(isAllowed(GRANT, 'resolvectl', args), args.join(' ')).toBe(true);
  });

  it('allows nothing else through resolvectl', () => {
    for (const args of [
      ['dns', 'banger0', '8.8.8.8'],
      ['dns', 'eth0;x', '172.16.0.1:42069'],
      ['domain', 'banger0', '~.'],
      ['domain', 'banger0', 'vm'],
      ['default-route', 'banger0', 'true'],
      ['dnssec', 'banger0', 'yes'],
      ['revert', 'banger0'],
      ['flush-caches'],
      ['dns', 'banger0', '172.16.0.1:99999'],
    ]) {
      expect(isAllowed(GRANT, 'resolvectl', args), args.join(' ')).toBe(false);
    }
  });

  it('parses the per-verb output, empty included', () => {
    expect(parseLinkSetting('Link 7 (banger0): 172.16.0.1:42069 10.0.0.1\n')).toEqual([
      '172.16.0.1:42069',
      '10.0.0.1',
    ]);
    expect(parseLinkSetting('Link 12 (banger0):\n')).toEqual([]);
    expect(parseLinkSetting('Global: 1.1.1.1\n')).toBeUndefined();
  });

  it('reports a fully routed link as ready', async () => {
    expect(await inspectDnsRouting(resolved(routed), R, target)).toEqual({
      resolver: 'systemd-resolved',
      link: 'present',
      missing: [],
      current: routed,
      ready: true,
    });
  });

  it('reports each setting that differs (other servers, extra domains, unset)', async () => {
    const status = await inspectDnsRouting(
      resolved({ ...routed, dns: '172.16.0.1:42069 10.0.0.53', domain: '~vm lan', mdns: '' }),
      R,
      target,
    );
    expect(status).toMatchObject({ ready: false, missing: ['dns', 'domain', 'mdns'] });
  });

  it('says the link is missing, or that there is no resolved', async () => {
    const noLink = new FakeRunner().on([R], {
      exitCode: 1,
      stderr: 'Failed to resolve interface "banger0": No such device\n',
    });
    expect(await inspectDnsRouting(noLink, R, target)).toMatchObject({ link: 'missing' });
    const down = new FakeRunner().on([R], {
      exitCode: 1,
      stderr: 'Failed to get global data: Connection refused\n',
    });
    expect(await inspectDnsRouting(down, R, target)).toMatchObject({ resolver: 'other' });
    const absent = new FakeRunner().on([R], (a) => {
      throw new CommandError(a, null, '', 'could not be started (ENOENT)');
    });
    expect(await inspectDnsRouting(absent, R, target)).toEqual({
      resolver: 'other',
      reason: 'resolvectl is not installed',
    });
  });

  it('applies every setting, as root directly or through sudo -n', async () => {
    const fake = new FakeRunner().on([R], {}).on(['sudo', '-n'], {});
    expect(
      await applyDnsRouting(new PrivilegedRunner(fake, { asRoot: true, grant: TEST_GRANT }), target),
    ).toEqual(dnsRoutingCommands(target));
    await applyDnsRouting(new PrivilegedRunner(fake, { asRoot: false, grant: TEST_GRANT }), target);
    expect(fake.commandLines[0]).toBe(`${R} dns banger0 172.16.0.1:42069`);
    expect(fake.commandLines[7]).toBe(
      'sudo -n /usr/local/libexec/banger/banger-root resolvectl dns banger0 172.16.0.1:42069',
    );
    expect(fake.commandLines).toHaveLength(14);
  });

  it('renders the recipe with the loopback listener', () => {
    expect(dnsRoutingRecipe('127.0.0.1:5353')).toMatch(/^add "server=\/vm\/127\.0\.0\.1#5353" to /);
  });
});

describe('HostNetwork.routeDns', () => {
  const warnings: string[] = [];
  const log: NetworkLog = { info: () => {}, warn: (_o, m) => warnings.push(m) };
  const network = (runner: FakeRunner, dnsServer?: string) =>
    new HostNetwork({
      runner,
      log,
      bridgeName: 'banger0',
      bridgeIp: '172.16.0.1',
      cidr: '172.16.0.0/24',
      tapPoolSize: 0,
      isVmId: () => true,
      privileged: { asRoot: true },
      ...(dnsServer === undefined ? {} : { dnsServer }),
    });

  it('re-applies all settings on resolved hosts when any is missing', async () => {
    const fake = resolved({ ...routed, dns: '', domain: '' }).on([R], {});
    await network(fake, '172.16.0.1:42069').routeDns();
    expect(fake.commandLines.filter((l) => l.split(' ').length === 4)).toEqual(
      dnsRoutingCommands(target).map((args) => [R, ...args].join(' ')),
    );
  });

  it('does nothing when routed, without dnsServer, or without resolved', async () => {
    const fake = resolved(routed);
    await network(fake, '172.16.0.1:42069').routeDns();
    expect(fake.commandLines.every((l) => l.split(' ').length === 3)).toBe(true);
    const unused = new FakeRunner();
    expect(await network(unused).routeDns()).toBeUndefined();
    expect(unused.calls).toEqual([]);
  });

  it('never throws: a refused resolvectl is logged', async () => {
    const fake = resolved({ ...routed, dns: '' }).on((a) => a.length === 4, {
      exitCode: 1,
      stderr: 'Failed to set DNS configuration: Access denied\n',
    });
    await expect(network(fake, '172.16.0.1:42069').routeDns()).resolves.toBeUndefined();
    expect(warnings).toEqual(['could not route *.vm to bangerd with resolvectl']);
  });
});
