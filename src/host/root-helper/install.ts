import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { parseCidr } from '../../domain/network.js';
import { formatGrant, type NetworkGrant, parseGrant, resolveGrant } from '../network/grant.js';
import { HELPER_NAME, HELPER_PROGRAM } from './protocol.js';
import { untrustedReason } from './trusted-path.js';

/**
 * Installs banger's root helper and one user's grant (run as root by
 * `banger system setup`). The helper is a small shell wrapper that runs a
 * bundled node program with an empty environment; both, and node itself,
 * must be changeable only by root, or whoever could change them would be
 * root. Files are written to a temp name and renamed, so a half-written
 * helper or grant is never used.
 */
interface HelperLocation {
  /** Root-owned directory holding the wrapper and the program. */
  helperDir: string;
  /** Root-owned directory holding `<uid>.json` grants. */
  grantsDir: string;
}

export interface InstallHelperOptions extends HelperLocation {
  /** The built helper program to copy (dist/banger-root.mjs). */
  program: string;
  /** The node binary the wrapper runs; must be root's alone. */
  node: string;
}

/** Paths go into a shell script and a sudoers line: keep to characters neither treats specially. */
const SAFE_PATH_RE = /^\/[A-Za-z0-9/_.+-]*$/;

function assertSafePath(path: string, what: string): void {
  if (!SAFE_PATH_RE.test(path) || path.split('/').includes('..')) {
    throw new AppError(
      'invalid_argument',
      `${what} ${JSON.stringify(path)} must be an absolute path of letters, digits and / _ . + -`,
    );
  }
}

function assertTrusted(path: string, what: string, kind: 'file' | 'dir' = 'file'): void {
  const reason = untrustedReason(path, kind);
  if (reason !== undefined) {
    throw new AppError(
      'host_unsupported',
      `${what} ${path} could be changed by someone other than root (${reason}); banger's root helper cannot rely on it`,
    );
  }
}

/** The wrapper script: fixed paths, the caller's uid from sudo, nothing else from the environment. */
function wrapperScript(o: HelperLocation & { node: string; env: string }): string {
  return [
    '#!/bin/sh',
    "# banger's root helper, installed by `banger system setup`. The users granted it in",
    '# /etc/sudoers.d/banger-<uid> may run it as root; it refuses every command that is',
    "# not banger's, for resources other than those in their grant (<grants dir>/<uid>.json).",
    `exec ${o.env} -i "BANGER_SUDO_UID=\${SUDO_UID-}" ${o.node} ${join(o.helperDir, HELPER_PROGRAM)} ${o.grantsDir} "$@"`,
    '',
  ].join('\n');
}

function writeAtomic(path: string, content: string | Buffer, mode: number): 'written' | 'unchanged' {
  if (existsSync(path) && readFileSync(path).equals(Buffer.from(content))) {
    chmodSync(path, mode);
    return 'unchanged';
  }
  const temp = `${path}.banger-new`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, path);
  return 'written';
}

/** Creates `dir` if needed, readable by every user (their sudo runs the helper from it), changeable only by root. */
function ensureTrustedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755); // whatever the umask made of it
  assertTrusted(dir, 'the directory', 'dir');
}

function findEnv(): string {
  const env = ['/usr/bin/env', '/bin/env'].find((p) => existsSync(p));
  if (env === undefined) throw new AppError('host_unsupported', 'env(1) is missing from /usr/bin and /bin');
  assertTrusted(env, 'env');
  return env;
}

/** Installs (or refreshes) the wrapper and program; returns the wrapper's path. */
export function installHelper(o: InstallHelperOptions): { path: string; action: 'installed' | 'unchanged' } {
  assertSafePath(o.helperDir, 'the helper directory');
  assertSafePath(o.grantsDir, 'the grants directory');
  assertSafePath(o.node, 'node');
  assertTrusted(o.node, 'node');
  const env = findEnv();
  for (const dir of [o.helperDir, o.grantsDir]) ensureTrustedDir(dir);
  const program = writeAtomic(join(o.helperDir, HELPER_PROGRAM), readFileSync(o.program), 0o644);
  const path = join(o.helperDir, HELPER_NAME);
  const wrapper = writeAtomic(path, wrapperScript({ ...o, env }), 0o755);
  return { path, action: program === 'unchanged' && wrapper === 'unchanged' ? 'unchanged' : 'installed' };
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.network <= y.broadcast && y.network <= x.broadcast;
}

/**
 * Refuses a grant that would share the bridge or overlap the subnet of
 * another user's grant: two daemons must never touch each other's
 * resources, and guests of one user must not be routable as the other's.
 */
export function assertNoConflict(grantsDir: string, grant: NetworkGrant): void {
  if (!existsSync(grantsDir)) return;
  for (const name of readdirSync(grantsDir)) {
    if (!/^\d+\.json$/.test(name) || name === `${grant.uid}.json`) continue;
    let other: NetworkGrant;
    try {
      other = parseGrant(readFileSync(join(grantsDir, name), 'utf8'), name);
    } catch {
      continue; // unusable grants enforce nothing and conflict with nothing
    }
    if (other.bridgeName === grant.bridgeName) {
      throw new AppError(
        'conflict',
        `uid ${other.uid} already uses bridge ${other.bridgeName}; give this user another bridge_name (and cidr) in config.toml`,
      );
    }
    if (overlaps(other.cidr, grant.cidr)) {
      throw new AppError(
        'conflict',
        `uid ${other.uid} already uses ${other.cidr}, which overlaps ${grant.cidr}; give this user another cidr and bridge_ip in config.toml`,
      );
    }
  }
}

/** Writes `<grantsDir>/<uid>.json` (0644: the user's doctor reads it; it holds no secret). */
export function writeGrant(grantsDir: string, grant: NetworkGrant): 'written' | 'unchanged' {
  resolveGrant(grant);
  ensureTrustedDir(grantsDir);
  return writeAtomic(join(grantsDir, `${grant.uid}.json`), formatGrant(grant), 0o644);
}
