import { describe, expect, it } from 'vitest';
import { sshArgs } from './ssh-args.js';
import { sshFailure } from './ssh-failure.js';

const base = {
  identityFile: '/k/id_ed25519',
  knownHostsFile: '/s/known_hosts',
  hostKeyAlias: 'vm-0123',
  host: '172.16.0.5',
};

/** The value of each `-o Key=value` in argv. */
const options = (argv: string[]) =>
  Object.fromEntries(
    argv.flatMap((a, i) => (argv[i - 1] === '-o' ? [a.split('=') as [string, string]] : [])),
  );

describe('sshArgs', () => {
  it('pins trust to banger known_hosts under the VM alias, non-interactive by default', () => {
    const argv = sshArgs(base);
    expect(argv[0]).toBe('ssh');
    expect(argv.slice(1, 5)).toEqual(['-F', '/dev/null', '-i', '/k/id_ed25519']);
    expect(options(argv)).toMatchObject({
      IdentitiesOnly: 'yes',
      StrictHostKeyChecking: 'yes',
      UserKnownHostsFile: '/s/known_hosts',
      GlobalKnownHostsFile: '/dev/null',
      HostKeyAlias: 'vm-0123',
      UpdateHostKeys: 'no',
      ConnectTimeout: '10',
      BatchMode: 'yes',
      LogLevel: 'ERROR',
    });
    expect(argv).toContain('-T');
    expect(argv.slice(-4)).toEqual(['-p', '22', '--', 'root@172.16.0.5']);
  });

  it('asks for a terminal and allows prompts when interactive', () => {
    const argv = sshArgs({ ...base, tty: true, port: 2222, connectTimeoutSeconds: 3 });
    expect(argv).toContain('-t');
    expect(argv).not.toContain('-T');
    expect(options(argv)).toMatchObject({ BatchMode: 'no', ConnectTimeout: '3' });
    expect(argv.slice(-3)).toEqual(['2222', '--', 'root@172.16.0.5']);
  });

  it('sends the command as one quoted line after the destination', () => {
    const argv = sshArgs({ ...base, command: ['sh', '-c', 'cd /root/repo && make "a b"'] });
    expect(argv.slice(-2)).toEqual(['root@172.16.0.5', `sh -c 'cd /root/repo && make "a b"'`]);
  });
});

describe('sshFailure', () => {
  it('passes the remote command status through', () => {
    expect(sshFailure('box', 7, '')).toBeUndefined();
  });

  it('names a host-key mismatch without suggesting to drop the check', () => {
    const err = sshFailure('box', 255, 'Host key for vm-1 has changed\r\nHost key verification failed.\r\n');
    expect(err?.message).toMatch(/^refusing to connect to box: its SSH host key/);
    expect(err?.message).not.toMatch(/ssh-keygen -R/);
  });

  it('explains unreachable guests and rejected keys in one line', () => {
    expect(
      sshFailure('box', 255, 'ssh: connect to host 1.2.3.4 port 22: Connection refused')?.message,
    ).toMatch(/^cannot reach box over SSH .*banger vm logs box\)$/);
    expect(sshFailure('box', 255, 'root@x: Permission denied (publickey).')?.message).toMatch(/rejected/);
  });
});
