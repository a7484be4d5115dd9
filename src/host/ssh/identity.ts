import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { ensurePrivateDir } from '../paths.js';
import type { Runner } from '../runner.js';

/** The key banger authenticates to its guests with. */
export interface SshIdentity {
  privateKeyPath: string;
  /** The OpenSSH public key (`ssh-ed25519 AAAA…`, no comment), for the guest's authorized_keys. */
  publicKey: string;
}

export interface EnsureSshKeyOptions {
  runner: Runner;
  /** `ssh_key_path` from the config: used as it is and never created. */
  configuredPath?: string | undefined;
  /** banger's own key (`BangerPaths.sshKeyFile`), created when missing. */
  defaultPath: string;
}

/**
 * Returns the SSH identity banger uses for its guests.
 *
 * - With `configuredPath`, that key must already exist: banger never writes
 *   the user's own key. Its public half comes from `<path>.pub` or, when
 *   that is missing, from `ssh-keygen -y`.
 * - Otherwise `defaultPath` is created on first use (ed25519, no passphrase,
 *   0600 in a 0700 directory). Concurrent first calls are safe: each
 *   generates under a temporary name and only one `link`s it into place.
 *   An existing key with a looser mode is tightened to 0600 (ssh refuses
 *   keys others can read).
 */
export async function ensureSshKey(options: EnsureSshKeyOptions): Promise<SshIdentity> {
  const { runner, configuredPath, defaultPath } = options;
  if (configuredPath !== undefined) return readConfiguredKey(runner, configuredPath);

  ensurePrivateDir(dirname(defaultPath));
  const existing = await lstat(defaultPath).catch(() => undefined);
  if (existing === undefined) await createKey(runner, defaultPath);
  else if (!existing.isFile()) {
    throw new AppError('host_unsupported', `${defaultPath} is not a regular file; remove it and try again`);
  } else if ((existing.mode & 0o777) !== 0o600) await chmod(defaultPath, 0o600);
  return { privateKeyPath: defaultPath, publicKey: await publicKeyOf(runner, defaultPath) };
}

async function readConfiguredKey(runner: Runner, path: string): Promise<SshIdentity> {
  const st = await lstat(path).catch(() => undefined);
  if (st === undefined) {
    throw new AppError(
      'invalid_config',
      `ssh_key_path ${path} does not exist; create the key or remove ssh_key_path from the config`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw new AppError(
      'invalid_config',
      `ssh_key_path ${path} is readable by others and ssh would ignore it; run chmod 600 ${path}`,
    );
  }
  return { privateKeyPath: path, publicKey: await publicKeyOf(runner, path) };
}

async function createKey(runner: Runner, path: string): Promise<void> {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'banger', '-f', tmp]);
    await chmod(tmp, 0o600);
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // another caller won the race
      throw err;
    }
    await rename(`${tmp}.pub`, `${path}.pub`);
  } finally {
    await rm(tmp, { force: true });
    await rm(`${tmp}.pub`, { force: true });
  }
}

/** The public key line of a private key: `<path>.pub` when present, else derived. */
async function publicKeyOf(runner: Runner, privateKeyPath: string): Promise<string> {
  const fromFile = await readFile(`${privateKeyPath}.pub`, 'utf8').catch(() => undefined);
  const line = fromFile ?? (await runner.run(['ssh-keygen', '-y', '-f', privateKeyPath])).stdout;
  const key = (line.trim().split('\n')[0] ?? '').split(/\s+/).slice(0, 2).join(' ');
  if (!/^(ssh-|ecdsa-|sk-)\S+ [A-Za-z0-9+/]+=*$/.test(key)) {
    throw new AppError('invalid_config', `${privateKeyPath} does not look like an SSH key`);
  }
  return key;
}
