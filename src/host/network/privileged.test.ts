import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { CommandError } from '../runner.js';
import { isAllowed } from './allow-list.js';
import { checkPrivileges, isSudoRefusal, PrivilegedRunner } from './privileged.js';
import { expandShapes, renderSudoers, sampleArgs } from './sudoers.js';
import { DEFAULT_TOOL_PATHS } from './tools.js';

const tag = 'banger:01jq3v7k8m';
const masq = [
  '-s',
  '172.16.0.2/32',
  '!',
  '-o',
  'banger0',
  '-m',
  'comment',
  '--comment',
  tag,
  '-j',
  'MASQUERADE',
];

describe('allow-list', () => {
  it('accepts the commands banger runs', () => {
    expect(
      isAllowed('ip', ['link', 'add', 'banger0', 'address', '06:00:ac:10:00:01', 'type', 'bridge']),
    ).toBe(true);
    expect(isAllowed('ip', ['tuntap', 'add', 'dev', 'bgrpool-0', 'mode', 'tap', 'user', '1000'])).toBe(true);
    expect(
      isAllowed('ip', ['link', 'set', 'dev', 'bgrpool-0', 'name', 'bgr-0123456789a', 'alias', tag, 'up']),
    ).toBe(true);
    expect(isAllowed('iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq])).toBe(true);
    expect(isAllowed('iptables', ['-w', '-t', 'nat', '-D', 'POSTROUTING', ...masq])).toBe(true);
    expect(isAllowed('iptables-save', [])).toBe(true);
    expect(isAllowed('sysctl', ['-w', 'net.ipv4.ip_forward=1'])).toBe(true);
  });

  it('refuses everything else', () => {
    const refused: [Parameters<typeof isAllowed>[0], string[]][] = [
      ['ip', ['link', 'set', 'dev', 'eth0', 'down']],
      ['ip', ['link', 'del', 'dev', 'eth0;reboot']],
      ['ip', ['link', 'del', 'dev', 'a-name-that-is-too-long']],
      ['ip', ['route', 'add', 'default', 'via', '1.2.3.4']],
      ['ip', ['tuntap', 'add', 'dev', 'tap0', 'mode', 'tap', 'user', 'root']],
      ['ip', ['link', 'set', 'dev', 'bgrpool-0', 'master', 'banger0', 'alias', 'anything']],
      ['iptables', ['-F']],
      ['iptables', ['-w', '-t', 'nat', '-F', 'POSTROUTING', ...masq]],
      ['iptables', ['-w', '-t', 'nat', '-I', 'POSTROUTING', ...masq]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', '172.16.0.0/24', ...masq.slice(2)]],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 5), '-j', 'MASQUERADE']],
      [
        'iptables',
        ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 8), 'notbanger:x', '-j', 'MASQUERADE'],
      ],
      [
        'iptables',
        ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq.slice(0, 8), 'banger:', '-j', 'MASQUERADE'],
      ],
      ['iptables', ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...masq, 'extra']],
      ['iptables-save', ['-c']],
      ['sysctl', ['-w', 'net.ipv4.ip_forward=0']],
    ];
    for (const [tool, args] of refused)
      expect(isAllowed(tool, args), `${tool} ${args.join(' ')}`).toBe(false);
  });
});

describe('PrivilegedRunner', () => {
  it('runs allowed commands by absolute path, directly as root', async () => {
    const fake = new FakeRunner();
    await new PrivilegedRunner(fake, { asRoot: true, user: 'alice' }).run('iptables-save', []);
    expect(fake.commandLines).toEqual(['/usr/sbin/iptables-save']);
  });

  it('uses sudo -n when not root', async () => {
    const fake = new FakeRunner();
    await new PrivilegedRunner(fake, { asRoot: false, user: 'alice' }).run('ip', [
      'link',
      'del',
      'dev',
      'bgr-x',
    ]);
    expect(fake.commandLines).toEqual(['sudo -n /usr/sbin/ip link del dev bgr-x']);
  });

  it('refuses a command off the allow-list without running anything', async () => {
    const fake = new FakeRunner();
    const priv = new PrivilegedRunner(fake, { asRoot: true });
    const err = await priv.run('ip', ['link', 'set', 'dev', 'eth0', 'down']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('internal');
    expect((err as AppError).message).toContain('allow-list');
    expect(fake.calls).toEqual([]);
  });

  it('turns a sudo refusal into one line naming the command and the sudoers entry', async () => {
    const fake = new FakeRunner().on(['sudo'], { exitCode: 1, stderr: 'sudo: a password is required\n' });
    const priv = new PrivilegedRunner(fake, { asRoot: false, user: 'alice' });
    const err = (await priv
      .run('sysctl', ['-w', 'net.ipv4.ip_forward=1'])
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('host_unsupported');
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toBe(
      '"/usr/sbin/sysctl -w net.ipv4.ip_forward=1" needs root and sudo -n refused it (a password is required); ' +
        'add to /etc/sudoers.d/banger: alice ALL=(root) NOPASSWD: /usr/sbin/sysctl -w net.ipv4.ip_forward\\=1',
    );
  });

  it('returns or throws the tool’s own failure depending on check', async () => {
    const fake = new FakeRunner().on(['/usr/sbin/ip'], { exitCode: 1, stderr: 'Cannot find device "bgr-x"' });
    const priv = new PrivilegedRunner(fake, { asRoot: true });
    const result = await priv.run('ip', ['link', 'del', 'dev', 'bgr-x'], { check: false });
    expect(result.exitCode).toBe(1);
    await expect(priv.run('ip', ['link', 'del', 'dev', 'bgr-x'])).rejects.toBeInstanceOf(CommandError);
  });

  it('recognises sudo’s refusals but not a tool’s errors', () => {
    expect(isSudoRefusal('sudo: a password is required')).toBe(true);
    expect(isSudoRefusal('Sorry, user alice is not allowed to execute /usr/sbin/ip as root on h.')).toBe(
      true,
    );
    expect(isSudoRefusal('iptables: Bad rule (does a matching rule exist in that chain?).')).toBe(false);
  });
});

describe('sudoers lines', () => {
  it('renders one escaped line per concrete shape', () => {
    const lines = renderSudoers('alice', DEFAULT_TOOL_PATHS);
    expect(lines).toHaveLength(expandShapes().length);
    expect(lines).toContain('alice ALL=(root) NOPASSWD: /usr/sbin/ip link add * address * type bridge');
    expect(lines).toContain('alice ALL=(root) NOPASSWD: /usr/sbin/iptables-save');
    expect(lines).toContain(
      'alice ALL=(root) NOPASSWD: /usr/sbin/iptables -w -t nat -D POSTROUTING -s * \\! -o * -m comment --comment banger\\:* -j MASQUERADE',
    );
    expect(lines.some((l) => l.includes('RELATED\\,ESTABLISHED'))).toBe(true);
    expect(new Set(lines).size).toBe(lines.length);
  });

  it('builds sample arguments that the allow-list itself accepts', () => {
    for (const shape of expandShapes()) expect(isAllowed(shape.tool, sampleArgs(shape))).toBe(true);
  });

  it('checks each privilege with sudo -n -l and reports the missing lines', async () => {
    const fake = new FakeRunner().on((argv) => argv.includes('/usr/sbin/iptables'), { exitCode: 1 });
    const checks = await checkPrivileges(fake, { asRoot: false, user: 'alice' });
    expect(fake.calls.every((argv) => argv.slice(0, 3).join(' ') === 'sudo -n -l')).toBe(true);
    const missing = checks.filter((c) => !c.allowed);
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((c) => c.command.startsWith('/usr/sbin/iptables '))).toBe(true);
    expect(checks.find((c) => c.command === '/usr/sbin/iptables-save')?.allowed).toBe(true);
  });

  it('needs no checks as root', async () => {
    const fake = new FakeRunner();
    const checks = await checkPrivileges(fake, { asRoot: true, user: 'root' });
    expect(checks.every((c) => c.allowed)).toBe(true);
    expect(fake.calls).toEqual([]);
  });
});
