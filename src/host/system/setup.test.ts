import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rejectionOf } from '../../testing/app-error.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { CommandError } from '../runner.js';
import { type SystemSetupOptions, systemSetup } from './setup.js';

const IP = '/usr/sbin/ip';

const R = '/usr/bin/resolvectl';

/** A host seen through FakeRunner: alice exists, the bridge appears once `ip link add` ran. */
function host(
  options: {
    resolved?: 'absent' | 'routed' | 'unrouted';
    bridge?: boolean;
    slowResolved?: number;
    /** The bridge exists without banger's alias. */
    foreign?: boolean;
  } = {},
) {
  const home = mkdtempSync(join(tmpdir(), 'banger-setup-'));
  let bridge = options.bridge ?? false;
  let resolvedMisses = options.slowResolved ?? 0;
  const routed: Record<string, string> = {
    dns: '10.9.0.1:5300',
    domain: '~vm',
    'default-route': 'no',
    dnssec: 'no',
    dnsovertls: 'no',
    llmnr: 'no',
    mdns: 'no',
  };
  const fake = new FakeRunner()
    .on(['getent', 'passwd', 'alice'], { stdout: `alice:x:1000:1000:Alice:${home}:/bin/bash\n` })
    .on(['getent', 'passwd', 'root'], { stdout: 'root:x:0:0:root:/root:/bin/bash\n' })
    .on(['getent', 'passwd'], { exitCode: 2 })
    .on([IP, '-d', '-j', 'link', 'show', 'dev'], () =>
      bridge
        ? {
            stdout: JSON.stringify([
              {
                ifname: 'bgr9',
                flags: ['UP'],
                ...(options.foreign ? {} : { ifalias: 'banger-bridge' }),
                linkinfo: { info_kind: 'bridge' },
              },
            ]),
          }
        : { exitCode: 1, stderr: 'Device "bgr9" does not exist.\n' },
    )
    .on([IP, '-j', '-4', 'addr', 'show'], () => ({
      stdout: JSON.stringify([
        { addr_info: bridge ? [{ family: 'inet', local: '10.9.0.1', prefixlen: 24 }] : [] },
      ]),
    }))
    .on([IP, '-d', '-j', 'link', 'show'], { stdout: '[]' })
    .on([IP, 'link', 'add'], () => {
      bridge = true;
      return {};
    })
    .on(
      (a) => a[0] === R && a.length === 3,
      (a) => {
        if (options.resolved === 'absent' || options.resolved === undefined) {
          throw new CommandError(a, null, '', 'could not be started (ENOENT)');
        }
        if (resolvedMisses > 0) {
          resolvedMisses--;
          return { exitCode: 1, stderr: 'Failed to resolve interface "bgr9": No such device\n' };
        }
        const value = options.resolved === 'routed' ? (routed[a[1] ?? ''] ?? '') : '';
        return { stdout: `Link 9 (bgr9): ${value}\n` };
      },
    )
    // The changes setup makes, each asserted through commandLines where it matters.
    .on([IP, 'addr'], {})
    .on([IP, 'link'], {})
    .on([R], {});
  mkdirSync(join(home, '.config', 'banger'), { recursive: true });
  writeFileSync(
    join(home, '.config', 'banger', 'config.toml'),
    'bridge_name = "bgr9"\nbridge_ip = "10.9.0.1"\ncidr = "10.9.0.0/24"\ndns_listen_addr = "127.0.0.1:5300"\n',
  );
  const sudoersDir = join(home, 'sudoers.d');
  mkdirSync(sudoersDir);
  const helperDir = join(home, 'libexec');
  const grantsDir = join(home, 'grants');
  const helperProgram = join(home, 'banger-root.mjs');
  writeFileSync(helperProgram, '// the helper program\n');
  const opts = (extra: Partial<SystemSetupOptions> = {}): SystemSetupOptions => ({
    runner: fake,
    env: { SUDO_USER: 'alice', HOME: '/root' },
    uid: 0,
    sudoersFile: join(sudoersDir, 'banger-1000'),
    legacySudoersFile: join(sudoersDir, 'banger'),
    helperDir,
    grantsDir,
    helperProgram,
    node: process.execPath,
    resolvedWaitMs: 2000,
    ...extra,
  });
  return { fake, home, sudoersDir, helperDir, grantsDir, opts };
}

describe('banger system setup', () => {
  it('refuses to run unless root, before running anything', async () => {
    const h = host();
    const err = await rejectionOf(systemSetup(h.opts({ uid: 1000 })));
    expect(err.code).toBe('host_unsupported');
    expect(err.message).toBe(
      'banger system setup changes host networking and must run as root: sudo banger system setup',
    );
    expect(h.fake.calls).toEqual([]);
  });

  it("creates the bridge from SUDO_USER's config, not root's, installs the helper and grant, and prints the sudoers line", async () => {
    const h = host();
    const report = await systemSetup(h.opts());
    expect(report.user).toEqual({ name: 'alice', uid: 1000, home: h.home });
    expect(report.configFile).toBe(join(h.home, '.config', 'banger', 'config.toml'));
    expect(report.bridge).toEqual({ name: 'bgr9', address: '10.9.0.1/24', action: 'created' });
    expect(
      h.fake.commandLines.filter((l) => l.startsWith(`${IP} link add`) || l.startsWith(`${IP} addr add`)),
    ).toEqual([
      `${IP} link add bgr9 address 06:00:0a:09:00:01 type bridge`,
      `${IP} addr add 10.9.0.1/24 dev bgr9`,
    ]);
    expect(h.fake.commandLines.some((l) => l.startsWith('sudo'))).toBe(false);
    expect(report.ipForwarding).toBe('on-demand');
    expect(h.fake.commandLines.some((l) => l.includes('sysctl'))).toBe(false);
    expect(report.sudoers).toMatchObject({
      action: 'printed',
      file: join(h.sudoersDir, 'banger-1000'),
      lines: [`alice ALL=(root) NOPASSWD: ${h.helperDir}/banger-root`],
    });
    expect(readdirSync(h.sudoersDir)).toEqual([]);
    const grant = { uid: 1000, bridgeName: 'bgr9', bridgeIp: '10.9.0.1', cidr: '10.9.0.0/24', dnsPort: 5300 };
    expect(report.helper).toEqual({
      action: 'installed',
      path: join(h.helperDir, 'banger-root'),
      grant,
      grantFile: join(h.grantsDir, '1000.json'),
    });
    expect(JSON.parse(readFileSync(join(h.grantsDir, '1000.json'), 'utf8'))).toEqual(grant);
    expect(statSync(join(h.grantsDir, '1000.json')).mode & 0o777).toBe(0o644);
    expect(statSync(join(h.helperDir, 'banger-root')).mode & 0o777).toBe(0o755);
    expect(statSync(join(h.helperDir, 'banger-root.mjs')).mode & 0o777).toBe(0o644);
    const wrapper = readFileSync(join(h.helperDir, 'banger-root'), 'utf8');
    expect(wrapper.split('\n').at(-2)).toBe(
      `exec /usr/bin/env -i "BANGER_SUDO_UID=\${SUDO_UID-}" ${process.execPath} ${h.helperDir}/banger-root.mjs ${h.grantsDir} "$@"`,
    );
  });

  it('without systemd-resolved skips DNS routing and gives the recipe', async () => {
    const report = await systemSetup(host().opts());
    expect(report.dnsRouting).toEqual({
      resolver: 'other',
      action: 'skipped',
      reason: 'resolvectl is not installed',
      recipe: expect.stringMatching(
        /^add "server=\/vm\/127\.0\.0\.1#5300" to \/etc\/dnsmasq\.d\/banger\.conf/,
      ),
    });
  });

  it('with systemd-resolved routes ~vm to the bridge listener, waiting for resolved to see the new link', async () => {
    const h = host({ resolved: 'unrouted', slowResolved: 3 });
    const report = await systemSetup(h.opts());
    expect(report.dnsRouting).toMatchObject({
      resolver: 'systemd-resolved',
      server: '10.9.0.1:5300',
      action: 'configured',
    });
    expect(h.fake.commandLines.filter((l) => l.startsWith(R) && l.split(' ').length === 4)).toEqual([
      `${R} dns bgr9 10.9.0.1:5300`,
      `${R} domain bgr9 ~vm`,
      `${R} default-route bgr9 false`,
      `${R} dnssec bgr9 no`,
      `${R} dnsovertls bgr9 no`,
      `${R} llmnr bgr9 no`,
      `${R} mdns bgr9 no`,
    ]);
  });

  it('is idempotent: a prepared host reports unchanged and changes nothing', async () => {
    const h = host({ resolved: 'routed', bridge: true });
    const report = await systemSetup(h.opts());
    expect(report.bridge.action).toBe('unchanged');
    expect(report.dnsRouting).toMatchObject({ action: 'unchanged', commands: [] });
    const changes = h.fake.commandLines.filter(
      (l) => / (add|del|set) /.test(l) || (l.startsWith(R) && l.split(' ').length === 4),
    );
    expect(changes).toEqual([]);
  });

  it('installs the sudoers file 0440 after visudo accepts it, once', async () => {
    const h = host();
    h.fake.on(['visudo'], {});
    const file = join(h.sudoersDir, 'banger-1000');
    const first = await systemSetup(h.opts({ installSudoers: true }));
    expect(first.sudoers).toMatchObject({ action: 'installed', file });
    expect(statSync(file).mode & 0o777).toBe(0o440);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Written by `banger system setup` for alice/);
    expect(text.split('\n').filter((l) => l.startsWith('alice '))).toHaveLength(
      first.sudoers.action === 'installed' ? first.sudoers.lines.length : -1,
    );
    expect(h.fake.commandLines).toContain(`visudo -c -f ${file}.banger-new`);
    const second = await systemSetup(h.opts({ installSudoers: true }));
    expect(second.sudoers.action).toBe('unchanged');
    expect((await systemSetup(h.opts())).sudoers.action).toBe('unchanged');
    expect(readdirSync(h.sudoersDir)).toEqual(['banger-1000']);
  });

  it("removes an older banger's unsafe sudoers file, but not an administrator's file of that name", async () => {
    const h = host();
    h.fake.on(['visudo'], {});
    const legacy = join(h.sudoersDir, 'banger');
    writeFileSync(
      legacy,
      '# Written by `banger system setup` for alice: ...\nalice ALL=(root) NOPASSWD: /usr/sbin/iptables-save\n',
    );
    const report = await systemSetup(h.opts({ installSudoers: true }));
    expect(report.sudoers).toMatchObject({ action: 'installed', removedLegacyFile: legacy });
    expect(existsSync(legacy)).toBe(false);
    writeFileSync(legacy, 'alice ALL=(root) NOPASSWD: /usr/bin/true\n');
    const again = await systemSetup(h.opts({ installSudoers: true }));
    expect(again.sudoers).not.toHaveProperty('removedLegacyFile');
    expect(existsSync(legacy)).toBe(true);
  });

  it("refuses a bridge or subnet another user's grant holds, before changing anything", async () => {
    for (const other of [
      { bridgeName: 'bgr9', bridgeIp: '10.8.0.1', cidr: '10.8.0.0/24' },
      { bridgeName: 'other0', bridgeIp: '10.9.0.129', cidr: '10.9.0.128/25' },
    ]) {
      const h = host();
      mkdirSync(h.grantsDir);
      writeFileSync(join(h.grantsDir, '1001.json'), JSON.stringify({ uid: 1001, dnsPort: 0, ...other }));
      const err = await rejectionOf(systemSetup(h.opts({ installSudoers: true })));
      expect(err.code).toBe('conflict');
      expect(err.message).toMatch(/^uid 1001 already uses (bridge bgr9|10\.9\.0\.128\/25)/);
      expect(h.fake.commandLines.filter((l) => / (add|del|set) /.test(l))).toEqual([]);
      expect(existsSync(join(h.grantsDir, '1000.json'))).toBe(false);
      expect(readdirSync(h.sudoersDir)).toEqual([]);
    }
  });

  it('refuses to grant a bridge banger did not create', async () => {
    const h = host({ bridge: true, foreign: true });
    const err = await rejectionOf(systemSetup(h.opts()));
    expect(err.code).toBe('conflict');
    expect(err.message).toContain('was not created by banger');
    expect(existsSync(h.grantsDir)).toBe(false);
  });

  it('refuses to install the helper where a user could change it', async () => {
    const h = host();
    const open = join(h.home, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const err = await rejectionOf(systemSetup(h.opts({ helperDir: join(open, 'libexec') })));
    expect(err.code).toBe('host_unsupported');
    expect(err.message).toMatch(
      /could be changed by someone other than root \(.*open is writable by every user\)/,
    );
    expect(existsSync(join(open, 'libexec', 'banger-root'))).toBe(false);
    const node = join(h.home, 'node');
    writeFileSync(node, '');
    chownSync(node, 1000, 1000);
    const badNode = await rejectionOf(systemSetup(h.opts({ node })));
    expect(badNode.message).toMatch(
      /^node .* could be changed by someone other than root \(.* is owned by uid 1000, not root\)/,
    );
  });

  it('installs nothing when visudo rejects the file', async () => {
    const h = host();
    h.fake.on(['visudo'], { exitCode: 1, stderr: '>>> banger.banger-new: syntax error near line 4 <<<\n' });
    const err = await rejectionOf(systemSetup(h.opts({ installSudoers: true })));
    expect(err.message).toMatch(/^visudo rejected the sudoers lines banger rendered \(>>> .*syntax error/);
    expect(readdirSync(h.sudoersDir)).toEqual([]);
  });

  it("needs no sudoers for root, and reads root's own config", async () => {
    const h = host();
    const report = await systemSetup(h.opts({ env: { HOME: h.home } }));
    expect(report.user.name).toBe('root');
    expect(report.configFile).toBe(join(h.home, '.config', 'banger', 'config.toml'));
    expect(report.sudoers.action).toBe('not-needed');
  });

  it('bad input is one line with a stable code', async () => {
    const h = host();
    writeFileSync(join(h.home, '.config', 'banger', 'config.toml'), 'bridge_ip = "nope"\n');
    const bad = await rejectionOf(systemSetup(h.opts()));
    expect(bad.code).toBe('invalid_config');
    expect(bad.message).toMatch(/config\.toml:1: bridge_ip: expected an IPv4 address$/);
    const nobody = await rejectionOf(systemSetup(h.opts({ user: 'mallory' })));
    expect(nobody).toMatchObject({
      code: 'invalid_argument',
      message: 'no user "mallory" on this host; pass --user NAME',
    });
    const weird = await rejectionOf(systemSetup(h.opts({ user: 'a b' })));
    expect(weird.code).toBe('invalid_argument');
    expect(readdirSync(h.sudoersDir)).toEqual([]);
  });
});
