import { AppError } from '../../../domain/errors.js';
import { CommandError, type Runner } from '../../runner.js';
import { type BootstrapEvent, BootstrapProgress } from './bootstrap-progress.js';
import type { BuildLog } from './build-log.js';
import { buildFailureReason } from './failure-reason.js';
import { customizeScript, essentialScript } from './guest-config.js';
import type { MmdebstrapMode } from './mmdebstrap-mode.js';

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const SUITE = 'bookworm';

export interface BootstrapOptions {
  runner: Runner;
  mode: MmdebstrapMode;
  packages: readonly string[];
  mirror?: string;
  /** Where mmdebstrap writes the finished tarball. */
  tarPath: string;
  /** mmdebstrap's scratch directory in root mode (on the state filesystem, not a tmpfs /tmp). */
  tmpDir: string;
  log: BuildLog;
  onProgress?: (e: BootstrapEvent) => void;
  signal?: AbortSignal;
}

/**
 * The apt sources of the image: the suite and its updates from `mirror`,
 * plus Debian's security archive when the default mirror is used (a custom
 * mirror may not carry it, and it is then the user's choice).
 */
export function sourceLines(mirror = DEFAULT_MIRROR): string[] {
  const lines = [`deb ${mirror} ${SUITE} main`, `deb ${mirror} ${SUITE}-updates main`];
  if (mirror === DEFAULT_MIRROR)
    lines.push(`deb http://deb.debian.org/debian-security ${SUITE}-security main`);
  return lines;
}

/**
 * The command line. `setpriv --pdeathsig KILL` ties the build to the
 * process that started it: if the daemon dies, the build dies with it
 * instead of running on unattended. In root mode mmdebstrap also runs in
 * its own PID and mount namespace (`unshare --pid --fork --kill-child
 * --mount-proc`): killing the wrapper kills mmdebstrap and every apt/dpkg
 * below it, and the mounts it makes inside the chroot (/proc, /sys, /dev)
 * can never outlive it or be seen, and recursed into by a cleanup, from
 * the host. In unshare mode mmdebstrap makes its own namespaces.
 */
export function mmdebstrapArgv(
  o: Pick<BootstrapOptions, 'mode' | 'packages' | 'mirror' | 'tarPath'>,
): string[] {
  const wrapper = [
    'setpriv',
    '--pdeathsig',
    'KILL',
    ...(o.mode === 'root' ? ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'] : []),
  ];
  return [
    ...wrapper,
    'mmdebstrap',
    `--mode=${o.mode}`,
    '--variant=apt',
    '--format=tar',
    '--verbose',
    `--include=${o.packages.join(',')}`,
    // Documentation and translations are most of /usr/share; keep the licences.
    '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/info/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*',
    '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-include=/usr/share/locale/locale.alias',
    `--essential-hook=${essentialScript()}`,
    `--customize-hook=${customizeScript()}`,
    SUITE,
    o.tarPath,
    ...sourceLines(o.mirror),
  ];
}

/**
 * Runs mmdebstrap to produce the image as an uncompressed tarball (owners,
 * modes and setuid bits recorded in the tar in both modes). All output is
 * appended to the build log as it arrives. Resolves once mmdebstrap exited
 * successfully; an abort kills it (AppError `cancelled`).
 */
export async function bootstrapTarball(o: BootstrapOptions): Promise<{ packagesSetUp: number }> {
  const progress = new BootstrapProgress((e) => o.onProgress?.(e));
  const argv = mmdebstrapArgv(o);
  o.log.line(
    `running: ${argv.map((a) => (a.includes('\n') ? `${a.slice(0, a.indexOf('='))}=<script below>` : a)).join(' ')}`,
  );
  o.log.line(`essential hook:\n${essentialScript()}`);
  o.log.line(`customize hook:\n${customizeScript()}`);
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8' };
  // Unshare mode: mmdebstrap's namespace root must be able to reach its temp dir, so it keeps the default.
  if (o.mode === 'root') env.TMPDIR = o.tmpDir;
  try {
    await o.runner.run(argv, {
      env,
      timeoutMs: 30 * 60_000,
      ...(o.signal ? { signal: o.signal } : {}),
      onOutput: (chunk) => {
        o.log.write(chunk);
        progress.feed(chunk.toString('utf8'));
      },
    });
  } catch (err) {
    if (o.signal?.aborted) throw new AppError('cancelled', 'image build cancelled', { cause: err });
    if (err instanceof CommandError) {
      throw new AppError(
        'operation_failed',
        `mmdebstrap failed: ${buildFailureReason(err.stderrTail)}; see the build log ${o.log.path}`,
        { cause: err },
      );
    }
    throw err;
  }
  return { packagesSetUp: progress.packagesSetUp };
}
