import { describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/app-error.js';
import { FakeRunner } from '../../testing/fake-runner.js';
import { invokingUser, isUserName, lookupUser } from './invoking-user.js';

const alice = 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n';

const rejection = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return errorOf(() => {
    throw err;
  });
};

describe('user names', () => {
  it('takes what useradd takes and nothing a shell or sudoers would split', () => {
    for (const ok of ['alice', '_a', 'A', 'a.b-c_d', 'host$', 'a'.repeat(32)]) {
      expect(isUserName(ok), ok).toBe(true);
    }
    for (const bad of [
      '',
      '1a',
      '-a',
      '.a',
      'a b',
      'a\nb',
      'alice\n',
      'a,b',
      'a:b',
      '%g',
      '#0',
      'a$b',
      '$',
      'a'.repeat(33),
    ]) {
      expect(isUserName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('lookupUser', () => {
  it('reads the uid and home from getent passwd', async () => {
    const fake = new FakeRunner().on(['getent', 'passwd', 'alice'], { stdout: alice });
    expect(await lookupUser(fake, 'alice')).toEqual({ name: 'alice', uid: 1000, home: '/home/alice' });
    expect(fake.commandLines).toEqual(['getent passwd alice']);
  });

  it('refuses a name that is not a user name before running anything', async () => {
    const fake = new FakeRunner();
    for (const bad of ['alice bob', '-s', 'a\nb', '']) {
      const err = await rejection(lookupUser(fake, bad));
      expect(err.code).toBe('invalid_argument');
      expect(err.message).toBe(`"${bad}" is not a user name; pass --user NAME`);
    }
    expect(fake.calls).toEqual([]);
  });

  it.each([
    ['an unknown user', { exitCode: 2 }],
    ['a failed getent that printed the user', { exitCode: 2, stdout: alice }],
    ['another name in the answer', { stdout: 'bob:x:1001:1001::/home/bob:/bin/sh\n' }],
    ['a uid that is not a number', { stdout: 'alice:x:abc:1000::/home/alice:/bin/sh\n' }],
    ['no home', { stdout: 'alice:x:1000:1000::' }],
    ['an empty answer', { stdout: '' }],
  ])('says there is no such user for %s', async (_what, response) => {
    const fake = new FakeRunner().on(['getent', 'passwd', 'alice'], response);
    const err = await rejection(lookupUser(fake, 'alice'));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe('no user "alice" on this host; pass --user NAME');
  });

  it('reads only the first line getent prints', async () => {
    const fake = new FakeRunner().on(['getent', 'passwd', 'alice'], {
      stdout: `${alice}mallory:x:0:0::/root:/bin/sh\n`,
    });
    expect((await lookupUser(fake, 'alice')).uid).toBe(1000);
  });
});

describe('invokingUser', () => {
  const runner = () =>
    new FakeRunner()
      .on(['getent', 'passwd', 'alice'], { stdout: alice })
      .on(['getent', 'passwd', 'bob'], { stdout: 'bob:x:1001:1001::/home/bob:/bin/sh\n' })
      .on(['getent', 'passwd', 'root'], { stdout: 'root:x:0:0:root:/root:/bin/bash\n' });

  it('prefers --user, then SUDO_USER, then root', async () => {
    expect((await invokingUser(runner(), { SUDO_USER: 'alice' }, 'bob')).name).toBe('bob');
    expect((await invokingUser(runner(), { SUDO_USER: 'alice' })).name).toBe('alice');
    expect(await invokingUser(runner(), {})).toEqual({ name: 'root', uid: 0, home: '/root' });
    expect((await invokingUser(runner(), { SUDO_USER: '' })).name).toBe('root');
  });
});
