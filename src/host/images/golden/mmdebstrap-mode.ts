import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { which } from '../../probe.js';
import type { Runner } from '../../runner.js';

export type MmdebstrapMode = 'unshare' | 'root';

export interface MmdebstrapModeReport {
  mode: MmdebstrapMode | 'unavailable';
  /** One line: which mode and why, or what is missing. */
  detail: string;
  /** What to do when unavailable. */
  fix?: string;
}

/** What the mode decision depends on; gathered by `hostModeFacts`. */
export interface ModeFacts {
  /** `mmdebstrap --version` output, undefined when it cannot run. */
  version: string | undefined;
  euid: number;
  user: string;
  uid: number;
  /** Contents of the sysctl files, undefined when the file does not exist. */
  unprivilegedUsernsClone: string | undefined;
  maxUserNamespaces: string | undefined;
  apparmorRestrictUserns: string | undefined;
  subuid: string | undefined;
  subgid: string | undefined;
  newuidmap: boolean;
  newgidmap: boolean;
}

/** mmdebstrap maps 65536 ids (root plus the Debian system and user ranges) into its namespace. */
const NEEDED_IDS = 65536;

/** True when `/etc/subuid`-style text gives `user` (by name or uid) at least 65536 ids. */
export function hasSubordinateIds(text: string | undefined, user: string, uid: number): boolean {
  if (text === undefined) return false;
  return text.split('\n').some((line) => {
    const [who, start, count] = line.trim().split(':');
    if (who !== user && who !== String(uid)) return false;
    return Number.isInteger(Number(start)) && Number(count) >= NEEDED_IDS;
  });
}

/**
 * Picks how mmdebstrap runs: as root `--mode=root` (inside a private mount
 * and PID namespace, see bootstrap.ts); unprivileged `--mode=unshare`, which
 * needs user namespaces, a subordinate id range in /etc/subuid and
 * /etc/subgid, and newuidmap/newgidmap (package uidmap). Pure: the facts
 * are gathered by `hostModeFacts`.
 */
export function decideMmdebstrapMode(f: ModeFacts): MmdebstrapModeReport {
  if (f.version === undefined) {
    return {
      mode: 'unavailable',
      detail: 'mmdebstrap is not installed',
      fix: 'sudo apt-get install mmdebstrap uidmap',
    };
  }
  if (f.euid === 0) {
    return { mode: 'root', detail: `${f.version}: running as root, so --mode=root` };
  }
  const missing: string[] = [];
  const fixes: string[] = [];
  if (f.unprivilegedUsernsClone?.trim() === '0') {
    missing.push('kernel.unprivileged_userns_clone is 0');
    fixes.push('sudo sysctl -w kernel.unprivileged_userns_clone=1');
  }
  if (f.maxUserNamespaces?.trim() === '0') {
    missing.push('user.max_user_namespaces is 0');
    fixes.push('sudo sysctl -w user.max_user_namespaces=10000');
  }
  if (f.apparmorRestrictUserns?.trim() === '1') {
    missing.push('AppArmor restricts unprivileged user namespaces');
    fixes.push('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  }
  const subuid = hasSubordinateIds(f.subuid, f.user, f.uid);
  const subgid = hasSubordinateIds(f.subgid, f.user, f.uid);
  if (!subuid || !subgid) {
    missing.push(`no ${NEEDED_IDS} subordinate ${!subuid ? 'uids' : 'gids'} for ${f.user}`);
    fixes.push(`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${f.user}`);
  }
  if (!f.newuidmap || !f.newgidmap) {
    missing.push('newuidmap/newgidmap not found');
    fixes.push('sudo apt-get install uidmap');
  }
  if (missing.length > 0) {
    return {
      mode: 'unavailable',
      detail: `rootless --mode=unshare is not possible: ${missing.join('; ')}`,
      fix: `${fixes.join(' && ')} (or run the daemon as root)`,
    };
  }
  return {
    mode: 'unshare',
    detail: `${f.version}: rootless --mode=unshare (user namespaces, subuids of ${f.user})`,
  };
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads the facts `decideMmdebstrapMode` needs from this host. */
async function hostModeFacts(runner: Runner): Promise<ModeFacts> {
  const version = await runner
    .run(['mmdebstrap', '--version'], { check: false, timeoutMs: 20_000 })
    .then((r) => (r.exitCode === 0 ? r.stdout.trim() || 'mmdebstrap' : undefined))
    .catch(() => undefined);
  const info = userInfo();
  return {
    version,
    euid: process.geteuid?.() ?? info.uid,
    user: info.username,
    uid: info.uid,
    unprivilegedUsernsClone: readOrUndefined('/proc/sys/kernel/unprivileged_userns_clone'),
    maxUserNamespaces: readOrUndefined('/proc/sys/user/max_user_namespaces'),
    apparmorRestrictUserns: readOrUndefined('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    subuid: readOrUndefined('/etc/subuid'),
    subgid: readOrUndefined('/etc/subgid'),
    newuidmap: which('newuidmap') !== undefined,
    newgidmap: which('newgidmap') !== undefined,
  };
}

/** How mmdebstrap can run on this host (for `banger doctor` and the image builder). */
export async function mmdebstrapMode(runner: Runner): Promise<MmdebstrapModeReport> {
  return decideMmdebstrapMode(await hostModeFacts(runner));
}
