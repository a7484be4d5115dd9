import { describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { tapNameForVm } from '../../domain/network.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { TEST_GRANT } from '../../testing/grant.js';
import { CommandError } from '../runner.js';
import { isSudoRefusal, PrivilegedRunner } from './privileged.js';
import { helperSudoersLine, unsafeGrants } from './sudoers.js';

const grant = TEST_GRANT;
const tap = tapNameForVm('0123456789abcdef', 1000);

describe('PrivilegedRunner', () => {
  it('runs allowed commands by absolute path, directly as root', async () => {
    const fake = new FakeRunner().on(['/usr/sbin/iptables-save'], {});
    await new PrivilegedRunner(fake, { asRoot: true, grant }).run('iptables-save', []);
    expect(fake.commandLines).toEqual(['/usr/sbin/iptables-save']);
  });

  it('goes through sudo -n and the root helper when not root', async () => {
    const fake = new FakeRunner().on(['sudo', '-n', '/opt/h/banger-root', 'ip'], {});
    await new PrivilegedRunner(fake, { asRoot: false, grant, helper: '/opt/h/banger-root' }).run('ip', [
      'link',
      'del',
      'dev',
      tap,
    ]);
    expect(fake.commandLines).toEqual([`sudo -n /opt/h/banger-root ip link del dev ${tap}`]);
  });

  it('refuses a command off the allow-list without running anything', async () => {
    const fake = new FakeRunner();
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant });
    const err = await priv.run('ip', ['link', 'set', 'dev', 'eth0', 'down']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('internal');
    expect((err as AppError).message).toContain("not one of banger's privileged commands for bridge banger0");
    expect(fake.calls).toEqual([]);
  });

  it('turns a sudo refusal into one line saying how to install the grant', async () => {
    const fake = new FakeRunner().on(['sudo'], { exitCode: 1, stderr: 'sudo: a password is required\n' });
    const priv = new PrivilegedRunner(fake, { asRoot: false, grant });
    const err = (await priv
      .run('sysctl', ['-w', 'net.ipv4.ip_forward=1'])
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('host_unsupported');
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toBe(
      '"sysctl -w net.ipv4.ip_forward=1" needs root and sudo -n refused banger\'s root helper (a password is required); ' +
        'an administrator runs: sudo banger system setup --install-sudoers',
    );
  });

  it("turns the helper's refusal into one line with its reason", async () => {
    const fake = new FakeRunner().on(['sudo'], {
      exitCode: 77,
      stderr: 'banger-root: refused "x": not ours\n',
    });
    const err = (await new PrivilegedRunner(fake, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('host_unsupported');
    expect(err.message).toBe('banger\'s root helper refused "iptables-save ": refused "x": not ours');
  });

  it('returns or throws the tool’s own failure depending on check', async () => {
    const fake = new FakeRunner().on(['/usr/sbin/ip'], {
      exitCode: 1,
      stderr: `Cannot find device "${tap}"`,
    });
    const priv = new PrivilegedRunner(fake, { asRoot: true, grant });
    const result = await priv.run('ip', ['link', 'del', 'dev', tap], { check: false });
    expect(result.exitCode).toBe(1);
    await expect(priv.run('ip', ['link', 'del', 'dev', tap])).rejects.toBeInstanceOf(CommandError);
  });

  it.each([
    [
      'a warning before the refusal',
      'sudo: unable to resolve host h: Name or service not known\nsudo: a password is required\n',
      'a password is required',
    ],
    [
      'another line before it',
      'sudo: a terminal is required to read the password\nsudo: a password is required\n',
      'a password is required',
    ],
    [
      'a "Sorry" line after a warning',
      "sudo: unable to resolve host h\nSorry, user alice is not allowed to execute '/h' as root on h.\n",
      "Sorry, user alice is not allowed to execute '/h' as root on h.",
    ],
    [
      'a "may not run" line',
      'Sorry, user alice may not run sudo on h.\n',
      'Sorry, user alice may not run sudo on h.',
    ],
  ])('recognises a multi-line sudo refusal: %s', async (_what, stderr, reason) => {
    const fake = new FakeRunner().on(['sudo'], { exitCode: 1, stderr });
    const err = (await new PrivilegedRunner(fake, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('host_unsupported');
    expect(err.message).toBe(
      `"iptables-save " needs root and sudo -n refused banger's root helper (${reason}); an administrator runs: sudo banger system setup --install-sudoers`,
    );
  });

  it("finds the helper's refusal below other lines, and needs its exit code", async () => {
    const stderr = 'node: some warning\nbanger-root: refused "ip": not in the grant\n';
    const refused = new FakeRunner().on(['sudo'], { exitCode: 77, stderr });
    const err = (await new PrivilegedRunner(refused, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e)) as AppError;
    expect(err.message).toBe(
      'banger\'s root helper refused "iptables-save ": refused "ip": not in the grant',
    );
    // The same line with another exit code is the tool's failure, not a refusal.
    const failed = new FakeRunner().on(['sudo'], { exitCode: 1, stderr });
    const toolErr = await new PrivilegedRunner(failed, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e);
    expect(toolErr).toBeInstanceOf(CommandError);
    const result = await new PrivilegedRunner(failed, { asRoot: false, grant }).run('iptables-save', [], {
      check: false,
    });
    expect(result.exitCode).toBe(1);
  });

  it("leaves a tool's failure after sudo's host warning to the caller", async () => {
    const fake = new FakeRunner().on(['sudo'], {
      exitCode: 1,
      stderr: `sudo: unable to resolve host h: Name or service not known\nCannot find device "${tap}"\n`,
    });
    const priv = new PrivilegedRunner(fake, { asRoot: false, grant });
    expect((await priv.run('ip', ['link', 'del', 'dev', tap], { check: false })).exitCode).toBe(1);
  });

  it('never reads a refusal into a root run, where sudo is not involved', async () => {
    const fake = new FakeRunner().on(['/usr/sbin/iptables-save'], {
      exitCode: 1,
      stderr: 'sudo: a password is required\n',
    });
    const result = await new PrivilegedRunner(fake, { asRoot: true, grant }).run('iptables-save', [], {
      check: false,
    });
    expect(result.exitCode).toBe(1);
  });

  it('says so in one line when sudo cannot be started', async () => {
    const fake = new FakeRunner().on(['sudo'], (argv) => {
      throw new CommandError(argv, null, '', 'could not be started (ENOENT)');
    });
    const err = (await new PrivilegedRunner(fake, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e)) as AppError;
    expect(err.code).toBe('host_unsupported');
    expect(err.message).toBe(
      'cannot run "iptables-save " as root: sudo could not be started; install sudo or run bangerd as root',
    );
    const asRoot = new FakeRunner().on(['/usr/sbin/iptables-save'], (argv) => {
      throw new CommandError(argv, null, '', 'could not be started (ENOENT)');
    });
    await expect(
      new PrivilegedRunner(asRoot, { asRoot: true, grant }).run('iptables-save', []),
    ).rejects.toThrow(/could not be started/);
  });

  it('defaults to running directly exactly when the process is root', () => {
    expect(new PrivilegedRunner(new FakeRunner(), { grant }).asRoot).toBe(process.getuid?.() === 0);
  });

  it('names every argument of a refused command', async () => {
    const err = await new PrivilegedRunner(new FakeRunner(), { asRoot: true, grant })
      .run('ip', ['link', 'set', 'dev', 'eth0', 'down'])
      .catch((e: unknown) => e);
    expect((err as AppError).message).toBe(
      'refusing to run "ip link set dev eth0 down": not one of banger\'s privileged commands for bridge banger0',
    );
  });

  it('passes on other errors of the runner unchanged, and keeps the cause of "sudo could not be started"', async () => {
    const timedOut = new CommandError(['sudo'], null, '', 'timed out after 30000 ms');
    const slow = new FakeRunner().on(['sudo'], () => {
      throw timedOut;
    });
    await expect(new PrivilegedRunner(slow, { asRoot: false, grant }).run('iptables-save', [])).rejects.toBe(
      timedOut,
    );
    const missing = new CommandError(['/usr/sbin/ip'], null, '', 'could not be started (ENOENT)');
    const asRoot = new FakeRunner().on(['/usr/sbin/ip'], () => {
      throw missing;
    });
    await expect(
      new PrivilegedRunner(asRoot, { asRoot: true, grant }).run('ip', ['link', 'del', 'dev', tap]),
    ).rejects.toBe(missing);
    const noSudo = new CommandError(['sudo'], null, '', 'could not be started (ENOENT)');
    const err = (await new PrivilegedRunner(
      new FakeRunner().on(['sudo'], () => {
        throw noSudo;
      }),
      { asRoot: false, grant },
    )
      .run('ip', ['link', 'del', 'dev', tap])
      .catch((e: unknown) => e)) as AppError;
    expect(err.message).toBe(
      `cannot run "ip link del dev ${tap}" as root: sudo could not be started; install sudo or run bangerd as root`,
    );
    expect(err.cause).toBe(noSudo);
  });

  it('returns a success even when sudo warned on stderr', async () => {
    const fake = new FakeRunner().on(['sudo'], { stderr: 'sudo: a warning that is not a refusal\n' });
    const result = await new PrivilegedRunner(fake, { asRoot: false, grant }).run('iptables-save', []);
    expect(result.exitCode).toBe(0);
  });

  it('keeps the argv in the details of both refusals', async () => {
    for (const response of [
      { exitCode: 1, stderr: 'sudo: a password is required\n' },
      { exitCode: 77, stderr: 'banger-root: refused "x"\n' },
    ]) {
      const fake = new FakeRunner().on(['sudo'], response);
      const err = (await new PrivilegedRunner(fake, { asRoot: false, grant })
        .run('iptables-save', [])
        .catch((e: unknown) => e)) as AppError;
      expect(err.details).toEqual({
        argv: ['sudo', '-n', '/usr/local/libexec/banger/banger-root', 'iptables-save'],
      });
    }
  });

  it('quotes a "Sorry" line whole, even when it names sudo', async () => {
    const line = "Sorry, user alice is not allowed to execute '/x sudo: y' as root on h.";
    const fake = new FakeRunner().on(['sudo'], { exitCode: 1, stderr: `${line}\n` });
    const err = (await new PrivilegedRunner(fake, { asRoot: false, grant })
      .run('iptables-save', [])
      .catch((e: unknown) => e)) as AppError;
    expect(err.message).toContain(`(${line})`);
  });

  it('recognises sudo’s refusals but not a tool’s errors', () => {
    expect(isSudoRefusal('sudo: a password is required')).toBe(true);
    expect(isSudoRefusal('Sorry, user alice is not allowed to execute /usr/sbin/ip as root on h.')).toBe(
      true,
    );
    expect(isSudoRefusal('iptables: Bad rule (does a matching rule exist in that chain?).')).toBe(false);
    expect(isSudoRefusal('ip: x\nsudo: a password is required')).toBe(true);
    expect(isSudoRefusal('sudo: unable to resolve host h: Name or service not known')).toBe(false);
    expect(isSudoRefusal('  sudo: indented is not sudo')).toBe(false);
    expect(isSudoRefusal('Sorry, user alice is fine')).toBe(false);
    expect(isSudoRefusal('note: Sorry, user alice is not allowed to execute x')).toBe(false);
    expect(isSudoRefusal('')).toBe(false);
  });
});

describe('sudoers', () => {
  it('grants one command, the helper, and refuses paths sudoers would misread', () => {
    expect(helperSudoersLine('alice', '/usr/local/libexec/banger/banger-root')).toBe(
      'alice ALL=(root) NOPASSWD: /usr/local/libexec/banger/banger-root',
    );
    expect(() => helperSudoersLine('alice', '/opt/a b/banger-root')).toThrow();
    expect(() => helperSudoersLine('alice', '/opt/x,ALL')).toThrow();
    expect(() => helperSudoersLine('a b', '/opt/x')).toThrow();
  });

  it("finds an older banger's lines in sudo -l output", () => {
    const listing = [
      'Matching Defaults entries for alice on host:',
      '    env_reset, mail_badpass',
      '',
      'User alice may run the following commands on host:',
      '    (root) NOPASSWD: /usr/sbin/ip link add * address * type bridge',
      '    (root) NOPASSWD: /usr/sbin/iptables-save',
      '    (root) NOPASSWD: /usr/local/libexec/banger/banger-root',
      '    (root) NOPASSWD: /usr/bin/apt update, /usr/sbin/sysctl -w net.ipv4.ip_forward\\=1',
      '    (ALL : ALL) ALL',
    ].join('\n');
    expect(unsafeGrants(listing)).toEqual([
      '/usr/sbin/ip link add * address * type bridge',
      '/usr/sbin/iptables-save',
      '/usr/sbin/sysctl -w net.ipv4.ip_forward\\=1',
    ]);
    expect(unsafeGrants('    (root) NOPASSWD: /usr/local/libexec/banger/banger-root')).toEqual([]);
  });
});
