import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/errors.js';

/** Where banger keeps things for one user. All directories are created 0700. */
export interface BangerPaths {
  configDir: string;
  configFile: string;
  stateDir: string;
  cacheDir: string;
  /** Directory holding the daemon socket; per-user, 0700. */
  runtimeDir: string;
  socket: string;
  daemonLog: string;
  database: string;
  lockFile: string;
  pidFile: string;
  vmsDir: string;
  imagesDir: string;
  kernelsDir: string;
  tmpDir: string;
  /** banger's own SSH key (used when `ssh_key_path` is unset). */
  sshKeyFile: string;
  /** banger's known_hosts: the host keys banger generated for its VMs. */
  knownHostsFile: string;
}

type Env = Record<string, string | undefined>;

function xdg(env: Env, name: string, fallback: string): string {
  const value = env[name];
  // The XDG spec says relative paths are invalid and must be ignored.
  return value?.startsWith('/') ? value : fallback;
}

/** Computes the paths from the environment (XDG respected); creates nothing. */
export function resolvePaths(env: Env = process.env): BangerPaths {
  const home = env.HOME ?? homedir();
  const configDir = join(xdg(env, 'XDG_CONFIG_HOME', join(home, '.config')), 'banger');
  const stateDir = join(xdg(env, 'XDG_STATE_HOME', join(home, '.local', 'state')), 'banger');
  const cacheDir = join(xdg(env, 'XDG_CACHE_HOME', join(home, '.cache')), 'banger');
  const runtimeBase = env.XDG_RUNTIME_DIR?.startsWith('/') ? env.XDG_RUNTIME_DIR : undefined;
  const uid = process.getuid?.() ?? 0;
  const runtimeDir = runtimeBase ? join(runtimeBase, 'banger') : join('/tmp', `banger-${uid}`);
  return {
    configDir,
    configFile: join(configDir, 'config.toml'),
    stateDir,
    cacheDir,
    runtimeDir,
    socket: join(runtimeDir, 'bangerd.sock'),
    daemonLog: join(stateDir, 'bangerd.log'),
    database: join(stateDir, 'state.db'),
    lockFile: join(stateDir, 'bangerd.lock'),
    pidFile: join(runtimeDir, 'bangerd.pid'),
    vmsDir: join(stateDir, 'vms'),
    imagesDir: join(stateDir, 'images'),
    kernelsDir: join(stateDir, 'kernels'),
    tmpDir: join(stateDir, 'tmp'),
    sshKeyFile: join(configDir, 'ssh', 'id_ed25519'),
    knownHostsFile: join(stateDir, 'ssh', 'known_hosts'),
  };
}

/**
 * Creates `dir` (and parents) if missing and makes sure it is a real
 * directory owned by this user with mode 0700. Refuses a symlink or a
 * directory owned by someone else: another user could otherwise read our
 * socket or plant files. Works under any umask because the mode is set
 * explicitly after creation.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new AppError('host_unsupported', `${dir} is not a plain directory; remove it and try again`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new AppError(
      'host_unsupported',
      `${dir} is owned by uid ${st.uid}, not by you (uid ${uid}); remove it or set XDG_RUNTIME_DIR`,
    );
  }
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}
