import { readFile } from 'node:fs/promises';
import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../runner.js';
import { isStaticElf } from '../kernel/elf.js';

export interface StaticBusybox {
  path: string;
  data: Buffer;
  /** Applet install paths relative to `/`, e.g. `bin/sh`, `sbin/switch_root`. */
  applets: string[];
}

/** Applets the init script needs; a busybox lacking any of them cannot boot a VM. */
export const REQUIRED_APPLETS = [
  'sh',
  'mount',
  'insmod',
  'ip',
  'hostname',
  'switch_root',
  'reboot',
  'usleep',
  'sleep',
  'grep',
  'cat',
  'tr',
  'ls',
  'mkdir',
  'rm',
  'printf',
  'uname',
] as const;

const NOT_FOUND =
  'a statically linked busybox is needed to build the initramfs; install the busybox-static package (apt-get install busybox-static)';

/**
 * Finds Debian's busybox-static binary: the file `dpkg -L busybox-static`
 * lists as `.../bin/busybox`, or `explicitPath`. Checks that it is a static
 * ELF (a dynamic busybox would fail in the initramfs, which has no libc)
 * and asks it for its applet list. Doctor can call this as its check.
 */
export async function findStaticBusybox(runner: Runner, explicitPath?: string): Promise<StaticBusybox> {
  let path = explicitPath;
  if (path === undefined) {
    const listed = await runner.run(['dpkg', '-L', 'busybox-static'], { check: false });
    path =
      listed.exitCode === 0
        ? listed.stdout.split('\n').find((l) => /\/bin\/busybox$/.test(l.trim()))
        : undefined;
    if (path === undefined) throw new AppError('host_unsupported', NOT_FOUND);
    path = path.trim();
  }
  const data = await readFile(path).catch(() => undefined);
  if (!data) throw new AppError('host_unsupported', `${path} cannot be read; ${NOT_FOUND}`);
  if (!isStaticElf(data)) {
    throw new AppError('host_unsupported', `${path} is not a statically linked x86_64 ELF; ${NOT_FOUND}`);
  }
  const { stdout } = await runner.run([path, '--list-full']);
  const applets = stdout
    .split('\n')
    .map((l) => l.trim().replace(/^\/+/, ''))
    .filter((l) => l !== '' && !l.includes('..'));
  const names = new Set(applets.map((a) => a.split('/').at(-1)));
  const missing = REQUIRED_APPLETS.filter((a) => !names.has(a));
  if (missing.length > 0) {
    throw new AppError(
      'host_unsupported',
      `${path} lacks the applets ${missing.join(', ')} that banger's init needs; ${NOT_FOUND}`,
    );
  }
  return { path, data, applets };
}
