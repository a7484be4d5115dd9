import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../../api/schemas.js';
import { applyDefaults } from '../../../domain/config.js';
import { resolvePaths } from '../../../host/paths.js';
import { CommandError } from '../../../host/runner.js';
import { FakeRunner } from '../../../testing/fake-runner.js';
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
    privileged: { asRoot: false, user: 'alice' },
    ...extra,
  };
}

async function run(c: DoctorContext): Promise<Record<string, DoctorCheck>> {
  const checks = await runChecks(networkChecks, c);
  for (const check of checks) {
    expect(check.detail, check.id).not.toContain('\n');
    expect(check.fix ?? '', check.id).not.toContain('\n');
  }
  return Object.fromEntries(checks.map((c) => [c.id, c]));
}

describe('privilege checks', () => {
  it('pass when sudo -n -l allows every command, asking sudo without running anything', async () => {
    const fake = noResolvectl(withBridge(new FakeRunner()));
    const r = await run(ctx(fake));
    for (const g of ['bridge', 'tap', 'iptables', 'sysctl']) {
      expect(r[`privileges:${g}`]?.status, g).toBe('pass');
    }
    const sudo = fake.calls.filter((a) => a[0] === 'sudo');
    expect(sudo.length).toBeGreaterThan(10);
    expect(sudo.every((a) => a[1] === '-n' && a[2] === '-l')).toBe(true);
    expect(fake.calls.filter((a) => a[0] === '/usr/sbin/iptables')).toEqual([]);
  });

  it('fail per group with exactly the refused sudoers lines', async () => {
    const fake = noResolvectl(withBridge(new FakeRunner())).on(
      (a) => a[0] === 'sudo' && a[3] === '/usr/sbin/iptables',
      { exitCode: 1, stderr: 'Sorry, user alice is not allowed to execute ...\n' },
    );
    const r = await run(ctx(fake));
    expect(r['privileges:bridge']?.status).toBe('pass');
    const nat = r['privileges:iptables'];
    expect(nat?.status).toBe('fail');
    expect(nat?.detail).toMatch(
      /^sudo -n refuses 10 of 11 command\(s\), e\.g\. \/usr\/sbin\/iptables -w -t nat -A /,
    );
    expect(nat?.fix).toContain('sudo banger system setup --install-sudoers');
    expect(nat?.fixLines).toHaveLength(10);
    // the guests' DNS redirect is part of the group
    expect(nat?.fixLines).toContain(
      'alice ALL=(root) NOPASSWD: /usr/sbin/iptables -w -t nat -I PREROUTING -d * -i * -p udp -m udp --dport 53 -m comment --comment banger\\:dns -j REDIRECT --to-ports *',
    );
    expect(nat?.fixLines?.[0]).toBe(
      'alice ALL=(root) NOPASSWD: /usr/sbin/iptables -w -t nat -A POSTROUTING -s * \\! -o * -m comment --comment banger\\:* -j MASQUERADE',
    );
  });

  it('as root pass without calling sudo', async () => {
    const fake = noResolvectl(withBridge(new FakeRunner()));
    const r = await run(ctx(fake, { privileged: { asRoot: true } }));
    expect(r['privileges:tap']).toMatchObject({ status: 'pass', detail: 'bangerd runs as root' });
    expect(fake.calls.filter((a) => a[0] === 'sudo')).toEqual([]);
  });

  it('ask about resolvectl only where systemd-resolved runs, and only warn', async () => {
    const none = await run(ctx(noResolvectl(withBridge(new FakeRunner()))));
    expect(none['privileges:dns']).toMatchObject({
      status: 'pass',
      detail: 'not needed: no systemd-resolved',
    });
    const fake = withResolved(withBridge(new FakeRunner()), ROUTED).on(
      (a) => a[0] === 'sudo' && a[3] === RESOLVECTL,
      { exitCode: 1, stderr: 'sudo: a password is required\n' },
    );
    const r = await run(ctx(fake));
    expect(r['privileges:dns']?.status).toBe('warn');
    expect(r['privileges:dns']?.fixLines).toContain(
      'alice ALL=(root) NOPASSWD: /usr/bin/resolvectl domain * ~vm',
    );
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
