import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';

/** Directories searched for host tools in addition to PATH: sbin is often missing from a user's PATH. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Finds an executable by name on PATH (plus the sbin directories); undefined when absent. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...path.split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when this process may open `file` for reading and writing. */
export function canReadWrite(file: string): boolean {
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Bytes available to an unprivileged user on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

export interface DirFacts {
  exists: boolean;
  uid?: number;
  mode?: number;
}

export function dirFacts(dir: string): DirFacts {
  try {
    const st = statSync(dir);
    return { exists: true, uid: st.uid, mode: st.mode & 0o777 };
  } catch {
    return { exists: false };
  }
}

/** CPU count and total RAM of this host, for VM sizing heuristics. */
export function hostFacts(): { cpus: number; memoryMib: number } {
  return { cpus: availableParallelism(), memoryMib: Math.floor(totalmem() / 1024 ** 2) };
}
