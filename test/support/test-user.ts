import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runner, RunOptions, RunResult } from '../../src/host/runner.js';
import { REPO } from './sandbox.js';

/**
 * An ordinary user that exists only for one test: /etc/passwd, group, shadow
 * and sudoers are copies in a temp dir with the user added, bind-mounted
 * over /etc in a private mount namespace (`unshare -m`) for each command,
 * with an empty private /etc/sudoers.d. The host's /etc is never written.
 */
export interface TestUser {
  name: string;
  uid: number;
  /** The user's home directory (a temp dir, owned by root; tests only read it as the user). */
  home: string;
  /**
   * This checkout as the user can reach it: the repository bind-mounted on a
   * root-owned 0755 directory in each command's mount namespace, since a
   * clone may live below a directory only root may enter (/root). Run the
   * built CLI, daemon and tools from here (e.g. `join(user.repo, 'dist', 'banger.js')`).
   */
  repo: string;
  /** Commands as root, but seeing the private /etc (the user exists, sudoers is the test's). */
  asRoot: Runner;
  /** Commands as the user (setpriv), seeing the private /etc. */
  asUser: Runner;
  /** Replaces the private sudoers with these lines. */
  writeSudoers(lines: readonly string[]): void;
  remove(): void;
}

class PrivateEtcRunner implements Runner {
  constructor(
    private readonly etc: string,
    private readonly repo: string,
    private readonly inner: Runner,
    private readonly uid?: number,
  ) {}

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    const become =
      this.uid === undefined
        ? 'exec "$@"'
        : `exec setpriv --reuid=${this.uid} --regid=${this.uid} --clear-groups "$@"`;
    const script = `d=$1; r=$2; shift 2; for f in passwd group shadow sudoers sudoers.d; do mount --bind "$d/$f" /etc/$f; done; mount --bind "$r" "${this.repo}"; ${become}`;
    return this.inner.run(['unshare', '-m', 'sh', '-c', script, 'sh', this.etc, REPO, ...argv], options);
  }
}

/** `inner` decides where commands run (e.g. a NetnsRunner); the user is `name` with uid = gid = `uid`. */
export function createTestUser(inner: Runner, name = 'bangertest', uid = 4242): TestUser {
  const dir = mkdtempSync(join(tmpdir(), 'banger-user-'));
  const repo = mkdtempSync(join(tmpdir(), 'banger-repo-'));
  chmodSync(repo, 0o755);
  const etc = join(dir, 'etc');
  const home = join(dir, 'home');
  mkdirSync(etc);
  mkdirSync(join(etc, 'sudoers.d'), { mode: 0o755 });
  mkdirSync(home);
  for (const f of ['passwd', 'group', 'shadow']) copyFileSync(`/etc/${f}`, join(etc, f));
  const append = (f: string, line: string) =>
    writeFileSync(join(etc, f), `${readFileSync(join(etc, f), 'utf8')}${line}\n`);
  append('passwd', `${name}:x:${uid}:${uid}::${home}:/bin/sh`);
  append('group', `${name}:x:${uid}:`);
  append('shadow', `${name}:*:19000:0:99999:7:::`);
  const writeSudoers = (lines: readonly string[]) =>
    writeFileSync(
      join(etc, 'sudoers'),
      `Defaults !syslog, !lecture\n${lines.join('\n')}\n@includedir /etc/sudoers.d\n`,
      { mode: 0o440 },
    );
  writeSudoers([]);
  return {
    name,
    uid,
    home,
    repo,
    asRoot: new PrivateEtcRunner(etc, repo, inner),
    asUser: new PrivateEtcRunner(etc, repo, inner, uid),
    writeSudoers,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    },
  };
}

/** The private /etc/sudoers.d (included by the private sudoers). */
export function sudoersDirPath(user: TestUser): string {
  return join(user.home, '..', 'etc', 'sudoers.d');
}
