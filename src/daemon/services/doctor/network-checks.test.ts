import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../api/schemas.js';
import { applyDefaults } from '../../../domain/config.js';
import { resolvePaths } from '../../../host/paths.js';
import { CommandError } from '../../../host/runner.js';
import { FakeRunner } from '../../../testing/fake-runner.js';
import { TEST_GRANT } from '../../../testing/grant.js';
import { networkChecks } from './network-checks.js';
import { type DoctorContext, runChecks } from './registry.js';

const RESOLVECTL = '/usr/bin/resolvectl';
const bridgeLink = (extra: Record<string, unknown> = {}) =>
  JSON.stringify([
    {
      ifname: 'banger0',
      flags: ['BROADCAST', 'UP'],
      ifalias: 'banger-bridge',
      linkinfo: { info_kind: 'bridge' },
      ...extra,
    },
  ]);
const addrs = (...a: string[]) =>
  JSON.stringify([
    {
      addr_info: a.map((x) => ({
        family: 'inet',
        local: x.split('/')[0],
        prefixlen: Number(x.split('/')[1]),
      })),
    },
  ]);

function withBridge(fake: FakeRunner, link = bridgeLink(), addresses = addrs('172.16.0.1/24')): FakeRunner {
  return fake
    .on(['/usr/sbin/ip', '-d', '-j', 'link', 'show', 'dev', 'banger0'], { stdout: link })
    .on(['/usr/sbin/ip', '-j', '-4', 'addr', 'show', 'dev', 'banger0'], { stdout: addresses });
}

/** resolved answering per-verb queries from `values` (verb -> printed values). */
function withResolved(fake: FakeRunner, values: Record<string, string>): FakeRunner {
  return fake.on(
    (argv) => argv[0] === RESOLVECTL,
    (argv) => ({ stdout: `Link 7 (banger0): ${values[argv[1] ?? ''] ?? ''}\n` }),
  );
}

const noResolvectl = (fake: FakeRunner) =>
  fake.on(
    (argv) => argv[0] === RESOLVECTL,
    (argv) => {
      throw new CommandError(argv, null, '', 'could not be started (ENOENT)');
    },
  );

const ROUTED = {
  dns: '172.16.0.1:42069',
  domain: '~vm',
  'default-route': 'no',
  dnssec: 'no',
  dnsovertls: 'no',
  llmnr: 'no',
  mdns: 'no',
};

function ctx(runner: FakeRunner, extra: Partial<DoctorContext> = {}): DoctorContext {
  return {
    config: applyDefaults({}),
    paths: resolvePaths({ HOME: '/nonexistent' }),
    runner,
    privileged: { asRoot: false, grant: TEST_GRANT },
    ...extra,
  };
}

/**
 * Runs the network checks. Unless the test scripted them first, sudo runs the
 * root helper, its grant matches the config, and `sudo -l` lists only the helper.
 */
async function run(c: DoctorContext): Promise<Record<string, DoctorCheck>> {
  const helper = '/usr/local/libexec/banger/banger-root';
  (c.runner as FakeRunner)
    .on(['sudo', '-n', helper, '--grant'], { stdout: JSON.stringify(TEST_GRANT) })
    .on(['sudo', '-n', '-l'], {
      stdout: `User alice may run the following commands on h:\n    (root) NOPASSWD: ${helper}\n`,
    });
  const checks = await runChecks(networkChecks, c);
  for (const check of checks) {
    expect(check.detail, check.id).not.toContain('\n');
    expect(check.fix ?? '', check.id).not.toContain('\n');
  }
  // Checks turn a command's error into a result, so an unscripted one would not fail the test by itself.
  expect((c.runner as FakeRunner).unscripted).toEqual([]);
  return Object.fromEntries(checks.map((c) => [c.id, c]));
}

describe('privilege checks', () => {
  const HELPER = '/usr/local/libexec/banger/banger-root';
  const grantJson = (extra: object = {}) => JSON.stringify({ ...TEST_GRANT, ...extra });
  const withGrant = (fake: FakeRunner, stdout = grantJson()) =>
    fake.on(['sudo', '-n', HELPER, '--grant'], { stdout });

  it('pass when sudo runs the root helper and its grant matches the config, running nothing else', async () => {
    const fake = withGrant(noResolvectl(withBridge(new FakeRunner())));
    const r = await run(ctx(fake));
    expect(r.privileges).toMatchObject({ status: 'pass' });
    expect(r.privileges?.detail).toBe(
      `sudo -n runs ${HELPER}, which allows only banger's commands for bridge banger0 172.16.0.1, subnet 172.16.0.0/24, DNS port 42069`,
    );
    expect(r['privileges:unsafe-sudoers']).toMatchObject({ status: 'pass' });
    const sudo = fake.calls.filter((a) => a[0] === 'sudo').map((a) => a.join(' '));
    expect(sudo.sort()).toEqual(['sudo -n -l', `sudo -n ${HELPER} --grant`]);
  });

  it('fail with the fix when sudo refuses the helper', async () => {
    const fake = noResolvectl(withBridge(new FakeRunner())).on(['sudo', '-n', HELPER], {
      exitCode: 1,
      stderr: 'sudo: a password is required\n',
    });
    const r = await run(ctx(fake));
    expect(r.privileges?.status).toBe('fail');
    expect(r.privileges?.detail).toContain('sudo -n refused');
    expect(r.privileges?.fix).toContain('sudo banger system setup --install-sudoers');
  });

  it('fail when the grant is for other resources than the config', async () => {
    const fake = withGrant(
      noResolvectl(withBridge(new FakeRunner())),
      grantJson({ cidr: '10.9.0.0/24', bridgeIp: '10.9.0.1' }),
    );
    const r = await run(ctx(fake));
    expect(r.privileges?.status).toBe('fail');
    expect(r.privileges?.detail).toContain('the grant is for bridge banger0 10.9.0.1, subnet 10.9.0.0/24');
  });

  it("flag an older banger's sudoers lines as unsafe", async () => {
    const fake = withGrant(noResolvectl(withBridge(new FakeRunner()))).on(['sudo', '-n', '-l'], {
      stdout: `User alice may run the following commands on h:\n    (root) NOPASSWD: /usr/sbin/iptables-save\n    (root) NOPASSWD: ${HELPER}\n`,
    });
    const r = await run(ctx(fake));
    expect(r['privileges:unsafe-sudoers']).toMatchObject({
      status: 'fail',
      fixLines: ['/usr/sbin/iptables-save'],
    });
    expect(r['privileges:unsafe-sudoers']?.detail).toContain('gives root');
    expect(r['privileges:unsafe-sudoers']?.fix).toContain('sudo banger system setup --install-sudoers');
  });

  it('as root pass without calling sudo', async () => {
    const fake = noResolvectl(withBridge(new FakeRunner()));
    const r = await run(ctx(fake, { privileged: { asRoot: true, grant: TEST_GRANT } }));
    expect(r.privileges).toMatchObject({ status: 'pass', detail: 'bangerd runs as root' });
    expect(fake.calls.filter((a) => a[0] === 'sudo')).toEqual([]);
  });
});

describe('bridge check', () => {
  const bridgeOf = async (fake: FakeRunner) => (await run(ctx(noResolvectl(fake)))).bridge;

  it('passes with the configured address', async () => {
    expect(await bridgeOf(withBridge(new FakeRunner()))).toMatchObject({
      status: 'pass',
      detail: 'banger0 172.16.0.1/24',
    });
  });

  it('warns when missing, explaining who creates it', async () => {
    const fake = new FakeRunner().on(['/usr/sbin/ip', '-d', '-j', 'link', 'show'], {
      exitCode: 1,
      stderr: 'Device "banger0" does not exist.\n',
    });
    const b = await bridgeOf(fake);
    expect(b).toMatchObject({ status: 'warn', detail: 'banger0 does not exist yet (wanted 172.16.0.1/24)' });
    expect(b?.fix).toContain('sudo banger system setup');
  });

  it('fails with a wrong address, and says how to fix banger-made and foreign bridges', async () => {
    const own = await bridgeOf(withBridge(new FakeRunner(), bridgeLink(), addrs('10.9.0.1/24')));
    expect(own).toMatchObject({
      status: 'fail',
      detail: 'banger0 has 10.9.0.1/24, config asks for 172.16.0.1/24',
    });
    expect(own?.fix).toMatch(/restart the daemon/);
    const foreign = await bridgeOf(
      withBridge(new FakeRunner(), bridgeLink({ ifalias: undefined }), addrs('10.9.0.1/24')),
    );
    expect(foreign?.fix).toMatch(/not created by banger/);
  });

  it('fails when the name belongs to something that is not a bridge', async () => {
    const b = await bridgeOf(withBridge(new FakeRunner(), bridgeLink({ linkinfo: { info_kind: 'veth' } })));
    expect(b).toMatchObject({ status: 'fail', detail: 'banger0 exists and is not a bridge' });
  });
});

describe('DNS routing check', () => {
  it('passes when resolved routes ~vm to the bridge listener the daemon has', async () => {
    const fake = withResolved(withBridge(new FakeRunner()), ROUTED);
    const r = await run(ctx(fake, { dns: { listening: ['127.0.0.1:42069', '172.16.0.1:42069'] } }));
    expect(r['dns-routing']).toMatchObject({
      status: 'pass',
      detail: 'systemd-resolved sends *.vm to 172.16.0.1:42069',
    });
    expect(fake.commandLines).toContain(`${RESOLVECTL} domain banger0`);
  });

  it('warns when the daemon does not listen on the bridge address', async () => {
    const fake = withResolved(withBridge(new FakeRunner()), ROUTED);
    const r = await run(ctx(fake, { dns: { listening: ['127.0.0.1:42069'] } }));
    expect(r['dns-routing']?.status).toBe('warn');
    expect(r['dns-routing']?.detail).toMatch(/bangerd does not listen there/);
  });

  it('lists what is missing and the resolvectl commands that fix it', async () => {
    const fake = withResolved(withBridge(new FakeRunner()), {
      ...ROUTED,
      dns: '',
      domain: '~vm',
      dnssec: 'allow-downgrade',
    });
    const r = await run(ctx(fake));
    const d = r['dns-routing'];
    expect(d?.status).toBe('warn');
    expect(d?.detail).toBe(
      'systemd-resolved does not route *.vm to bangerd on banger0: dns=(unset), dnssec=allow-downgrade',
    );
    expect(d?.fixLines).toEqual([
      'sudo resolvectl dns banger0 172.16.0.1:42069',
      "sudo resolvectl domain banger0 '~vm'",
      'sudo resolvectl default-route banger0 false',
      'sudo resolvectl dnssec banger0 no',
      'sudo resolvectl dnsovertls banger0 no',
      'sudo resolvectl llmnr banger0 no',
      'sudo resolvectl mdns banger0 no',
    ]);
  });

  it('uses the configured bridge address and DNS port', async () => {
    const fake = withResolved(withBridge(new FakeRunner(), bridgeLink(), addrs('10.7.0.1/24')), {
      ...ROUTED,
      dns: '10.7.0.1:5353',
    });
    const config = applyDefaults({
      bridge_ip: '10.7.0.1',
      cidr: '10.7.0.0/24',
      dns_listen_addr: '127.0.0.1:5353',
    });
    const r = await run(ctx(fake, { config }));
    expect(r['dns-routing']).toMatchObject({
      status: 'pass',
      detail: 'systemd-resolved sends *.vm to 10.7.0.1:5353',
    });
  });

  it('prints the dnsmasq/NetworkManager recipe without systemd-resolved', async () => {
    const r = await run(ctx(noResolvectl(withBridge(new FakeRunner()))));
    expect(r['dns-routing']?.status).toBe('warn');
    expect(r['dns-routing']?.detail).toMatch(/no systemd-resolved here \(resolvectl is not installed\)/);
    expect(r['dns-routing']?.fix).toMatch(
      /^add "server=\/vm\/127\.0\.0\.1#42069" to \/etc\/dnsmasq\.d\/banger\.conf .*NetworkManager/,
    );
  });

  it('treats an unreachable resolved like no resolved', async () => {
    const fake = withBridge(new FakeRunner()).on((a) => a[0] === RESOLVECTL, {
      exitCode: 1,
      stderr: 'Failed to get global data: Could not activate remote peer.\n',
    });
    const r = await run(ctx(fake));
    expect(r['dns-routing']?.detail).toMatch(/systemd-resolved does not answer \(Failed to get global data/);
  });
});
