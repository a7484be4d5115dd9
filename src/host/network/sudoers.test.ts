import { describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/app-error.js';
import { helperSudoersLine, unsafeGrants } from './sudoers.js';

const HELPER = '/usr/local/libexec/banger/banger-root';

describe('helperSudoersLine', () => {
  it('grants one user one command', () => {
    expect(helperSudoersLine('alice', HELPER)).toBe(`alice ALL=(root) NOPASSWD: ${HELPER}`);
    for (const user of ['_svc', 'a', 'bob.smith', 'x-1', 'host$', 'Alice', 'a'.repeat(32)]) {
      expect(helperSudoersLine(user, HELPER)).toBe(`${user} ALL=(root) NOPASSWD: ${HELPER}`);
    }
  });

  it.each([
    ['', 'empty'],
    ['ALL', 'every user'],
    ['ADMINS', 'a User_Alias'],
    ['A_1', 'a User_Alias'],
    ['alice ALL=(ALL) ALL\nbob', 'a second line'],
    ['alice\n', 'a newline'],
    ['alice,bob', 'a user list'],
    ['%sudo', 'a group'],
    ['#0', 'a uid'],
    ['+netgroup', 'a netgroup'],
    ['!alice', 'a negation'],
    ['al ice', 'a space'],
    ['alice:x', 'a colon'],
    ['alice=x', 'an equals sign'],
    ['1alice', 'a leading digit'],
    ['-alice', 'a leading dash'],
    ['a$b', 'a $ inside'],
    ['a'.repeat(33), '33 characters'],
  ])('refuses %j (%s) before writing anything', (user) => {
    const err = errorOf(() => helperSudoersLine(user, HELPER));
    expect(err.code).toBe('internal');
    expect(err.message).toBe(`"${user}" is not a user name sudoers can express`);
  });

  it.each([
    'relative/banger-root',
    '/opt/a b/banger-root',
    '/opt/x,ALL',
    '/opt/x\n',
    '/opt/x*',
    '/opt/x:y',
    '',
  ])('refuses the helper path %j', (path) => {
    const err = errorOf(() => helperSudoersLine('alice', path));
    expect(err.code).toBe('internal');
    expect(err.message).toBe(`"${path}" cannot be written in a sudoers line`);
  });

  it('takes any absolute path of safe characters', () => {
    expect(helperSudoersLine('alice', '/')).toBe('alice ALL=(root) NOPASSWD: /');
    expect(helperSudoersLine('alice', '/opt/b_anger-1.2+x/root')).toContain(': /opt/b_anger-1.2+x/root');
  });
});

describe('unsafeGrants', () => {
  it('finds each network tool granted directly, with or without tags, in lists of commands', () => {
    const listing = [
      'User alice may run the following commands on host:',
      '    (root) /usr/sbin/iptables -w -t nat -A POSTROUTING',
      '    (root) NOPASSWD: SETENV: /usr/sbin/ip link set dev x up',
      '    (root : root) NOPASSWD: /usr/bin/apt update, /sbin/sysctl -w net.ipv4.ip_forward=1',
      '    (ALL) ALL',
      '(root) NOPASSWD: /usr/local/bin/resolvectl dns banger0 x',
      '    /usr/sbin/ip link del x',
      '    Note (root) /usr/sbin/ip not a grant line',
      '    (root)/usr/sbin/iptables-save',
      '    (root) NOPASSWD:/usr/sbin/ip addr x',
      '    (root) /usr/bin/apt update,  /usr/sbin/ip route x',
      '    (root) /usr/sbin/ip neigh x  ',
    ].join('\n');
    expect(unsafeGrants(listing)).toEqual([
      '/usr/sbin/iptables -w -t nat -A POSTROUTING',
      '/usr/sbin/ip link set dev x up',
      '/sbin/sysctl -w net.ipv4.ip_forward=1',
      '/usr/local/bin/resolvectl dns banger0 x',
      '/usr/sbin/iptables-save',
      '/usr/sbin/ip addr x',
      '/usr/sbin/ip route x',
      '/usr/sbin/ip neigh x',
    ]);
  });

  it('does not count the helper, other tools, or look-alike names', () => {
    expect(
      unsafeGrants(
        [
          `    (root) NOPASSWD: ${HELPER}`,
          '    (root) NOPASSWD: /usr/bin/ipcalc, /usr/bin/myip',
          '    (root) NOPASSWD: /usr/sbin/iptables-wrapper',
          '    (root)',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(unsafeGrants('')).toEqual([]);
  });
});
