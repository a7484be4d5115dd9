import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { type Ext4FileEntry, pathComponents } from './ext4-entries.js';

/** One `[[file_sync]]` entry of the config (domain/config.ts `fileSyncEntry`). */
export interface FileSyncEntry {
  host: string;
  guest: string;
  /** Octal, e.g. "0600". */
  mode?: string | undefined;
}

const DEFAULT_FILE_MODE = 0o600;
const PRIVATE_DIR = 0o700;

function guestPath(guest: string): string | undefined {
  for (const prefix of ['~/', '/root/']) {
    if (guest.startsWith(prefix)) return `/${guest.slice(prefix.length).replace(/\/+$/, '')}`;
  }
  return undefined;
}

function hostPath(host: string, home: string): string | undefined {
  if (host === '~') return home;
  if (host.startsWith('~/')) return join(home, host.slice(2));
  return isAbsolute(host) ? host : undefined;
}

/**
 * What goes into a new VM's `/root` (the work disk's root), as entries for
 * writeFilesIntoExt4, all owned 0:0:
 * - `/` itself 0700 and `/.ssh` 0700 with `authorized_keys` 0600 holding
 *   `authorizedKey`, so sshd's StrictModes passes whatever the seed had;
 *   these come last, so no file_sync entry can replace banger's key;
 * - each `[[file_sync]]` entry: `guest` must be under `~/` or `/root/` (and
 *   not /root itself), `host` absolute or under `~/` (expanded with `home`);
 *   a file gets `mode` (default 0600), a directory is copied recursively
 *   (files `mode`, kept executable when they are; directories 0700).
 *   Missing parents are created 0700.
 * Host sources are stat'ed (not read): a missing one is an error. Every
 * error is an AppError invalid_argument naming the offending entry.
 */
export async function planWorkDiskFiles(o: {
  authorizedKey: string;
  fileSync: readonly FileSyncEntry[];
  home: string;
}): Promise<Ext4FileEntry[]> {
  const key = o.authorizedKey.trim();
  if (key === '' || /[\r\n]/.test(key)) {
    throw new AppError('invalid_argument', 'the SSH public key for the VM must be one non-empty line');
  }
  const root = { uid: 0, gid: 0, dirMode: PRIVATE_DIR };
  const synced: Ext4FileEntry[] = [];
  for (const [i, entry] of o.fileSync.entries()) {
    const name = `file_sync entry ${i + 1} (host = ${JSON.stringify(entry.host)}, guest = ${JSON.stringify(entry.guest)})`;
    const bad = (why: string) => new AppError('invalid_argument', `${name}: ${why}`);
    const guest = guestPath(entry.guest);
    if (guest === undefined || guest === '/') {
      throw bad('guest must be a path under ~/ or /root/, e.g. "~/.aws"');
    }
    try {
      pathComponents(guest);
    } catch {
      throw bad('guest must not contain "..", "." or empty components, or line breaks');
    }
    const source = hostPath(entry.host, o.home);
    if (source === undefined) throw bad('host must be an absolute path or start with ~/');
    if (entry.mode !== undefined && !/^0?[0-7]{3}$/.test(entry.mode)) {
      throw bad('mode must be octal such as "0600" or "0755"');
    }
    const mode = entry.mode === undefined ? DEFAULT_FILE_MODE : Number.parseInt(entry.mode, 8);
    const st = await stat(source).catch((err: NodeJS.ErrnoException) => {
      throw bad(
        err.code === 'ENOENT'
          ? `${source} does not exist on the host; create it or remove the entry from the config`
          : `${source} cannot be read (${err.code ?? err.message})`,
      );
    });
    if (!st.isFile() && !st.isDirectory()) throw bad(`${source} is not a regular file or directory`);
    synced.push({ ...root, path: guest, kind: 'copy', source, mode });
  }
  return [
    { ...root, path: '/', kind: 'dir', mode: PRIVATE_DIR },
    ...synced,
    { ...root, path: '/.ssh', kind: 'dir', mode: PRIVATE_DIR },
    {
      ...root,
      path: '/.ssh/authorized_keys',
      kind: 'content',
      content: Buffer.from(`${key}\n`),
      mode: 0o600,
    },
  ];
}
