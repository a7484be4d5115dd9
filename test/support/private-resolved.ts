import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Runner, type RunOptions, type RunResult, SpawnRunner } from '../../src/host/runner.js';
import type { TestNetns } from './netns.js';

/**
 * A systemd-resolved of our own, for tests that need the real thing: its
 * binaries come from Debian's archive (`apt-get download`, unpacked with
 * dpkg-deb, never installed: installing systemd-resolved would take over the
 * host's /etc/resolv.conf), and it runs inside the test's network namespace
 * plus a private mount namespace with a tmpfs /run, its own D-Bus system bus
 * and a private /etc/passwd, group and resolv.conf. Nothing of the host's is
 * changed; the processes die with the namespace (destroyNetns).
 */
export interface PrivateResolved {
  /** Runs commands inside the namespaces (network and mount) where resolved runs. */
  runner: Runner;
  /** The unpacked resolvectl. */
  resolvectl: string;
  /** The holder process whose namespaces `runner` enters. */
  pid: number;
  remove(): void;
}

class NsenterRunner implements Runner {
  constructor(
    private readonly pid: number,
    private readonly inner: Runner = new SpawnRunner(),
  ) {}

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return this.inner.run(['nsenter', '-t', String(this.pid), '-m', '-n', '--', ...argv], options);
  }
}

const BUS_CONF = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow send_type="method_call"/>
  </policy>
</busconfig>
`;

/** `passwdLines` are extra /etc/passwd entries ("name:x:uid:gid::home:shell"); each gets a group. */
export async function startPrivateResolved(
  ns: TestNetns,
  passwdLines: string[] = [],
): Promise<PrivateResolved> {
  const host = new SpawnRunner();
  const dir = mkdtempSync(join(tmpdir(), 'banger-resolved-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  // Both from the same source package and archive, so the binary and its private library match.
  await host.run(['apt-get', 'download', '-q', 'systemd-resolved', 'libsystemd-shared'], {
    cwd: dir,
    timeoutMs: 180_000,
  });
  for (const deb of readdirSync(dir).filter((f) => f.endsWith('.deb'))) {
    await host.run(['dpkg-deb', '-x', join(dir, deb), root]);
  }
  const users = ['systemd-resolve:x:4990:4990::/run/systemd/resolve:/usr/sbin/nologin', ...passwdLines];
  copyFileSync('/etc/passwd', join(dir, 'passwd'));
  copyFileSync('/etc/group', join(dir, 'group'));
  writeFileSync(join(dir, 'passwd'), `${readFileSync(join(dir, 'passwd'), 'utf8')}${users.join('\n')}\n`);
  const groups = users.map((u) => {
    const [name, , , gid] = u.split(':');
    return `${name}:x:${gid}:`;
  });
  writeFileSync(join(dir, 'group'), `${readFileSync(join(dir, 'group'), 'utf8')}${groups.join('\n')}\n`);
  writeFileSync(join(dir, 'bus.conf'), BUS_CONF);
  // glibc asks resolved's stub, as on a real resolved host.
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\noptions edns0\n');
  const lib = join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'systemd');
  const script = [
    'set -e',
    'd=$1',
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    'mkdir -p /run/dbus /run/systemd',
    'for f in passwd group resolv.conf; do mount --bind "$d/$f" /etc/$f; done',
    'dbus-daemon --config-file="$d/bus.conf" --nofork >"$d/dbus.log" 2>&1 &',
    'while [ ! -S /run/dbus/system_bus_socket ]; do sleep 0.05; done',
    `LD_LIBRARY_PATH=${lib} "$d/root/lib/systemd/systemd-resolved" >"$d/resolved.log" 2>&1 &`,
    'exec sleep 100000',
  ].join('\n');
  const holder: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', ns.name, 'unshare', '-m', 'sh', '-c', script, 'sh', dir],
    {
      stdio: 'ignore',
    },
  );
  const pid = holder.pid;
  if (pid === undefined) throw new Error('could not start the namespace holder');
  holder.unref();
  const runner = new NsenterRunner(pid, host);
  const resolvectl = join(root, 'usr', 'bin', 'resolvectl');
  const env = { ...process.env, LD_LIBRARY_PATH: lib };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const probe = await runner.run([resolvectl, 'dns', 'lo'], { check: false, env }).catch(() => undefined);
    if (probe?.exitCode === 0) break;
    if (Date.now() > deadline) {
      const log = (f: string) => {
        try {
          return readFileSync(join(dir, f), 'utf8');
        } catch {
          return '(none)';
        }
      };
      throw new Error(
        `private systemd-resolved did not come up: ${probe?.stderr} ${log('resolved.log')} ${log('dbus.log')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    runner: {
      run: (argv, options) =>
        runner.run(argv, { ...options, env: { ...(options?.env ?? process.env), LD_LIBRARY_PATH: lib } }),
    },
    resolvectl,
    pid,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
