import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../domain/errors.js';
import { ensurePrivateDir } from '../paths.js';

/** Host names as they may appear in a known_hosts line: no patterns, negations, commas or spaces. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const PUBLIC_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;

/** Writers of the same file within this process, chained so no update is lost. */
const queues = new Map<string, Promise<unknown>>();

/**
 * banger's own known_hosts file (`BangerPaths.knownHostsFile`, 0600 in a 0700
 * directory). It holds only the host keys banger generated for its VMs, so
 * ssh can run with `StrictHostKeyChecking=yes` against it and never learns
 * a key from the network.
 *
 * Each VM has one line: `<alias>,<address>… <key> banger:<alias>`, where the
 * alias is what `sshArgs` passes as `HostKeyAlias` (the VM id) and the
 * addresses are its guest IP and `<name>.vm`, so a user's own ssh pointed at
 * this file (`UserKnownHostsFile`) checks the same key.
 *
 * Contract: every update rewrites the file atomically (temp file, fsync,
 * rename), so a crash leaves the old or the new file, never a torn one.
 * Updates through any KnownHosts instance for the same path in this process
 * are serialised, so concurrent creates never lose each other's entries.
 * The daemon is the only writer (one daemon per user, enforced by its lock).
 * Lines banger did not write are kept as they are.
 */
export class KnownHosts {
  constructor(readonly file: string) {}

  /**
   * Makes `publicKey` the only key trusted for `alias` and each of
   * `addresses`: any earlier line naming one of them is dropped first, so a
   * re-used guest IP or name never keeps the key of a deleted VM.
   */
  async trust(alias: string, addresses: readonly string[], publicKey: string): Promise<void> {
    const names = [alias, ...addresses].map(checkHostName);
    const key = normaliseKey(publicKey);
    return this.update((lines) => [
      ...lines.filter((line) => !namesOf(line).some((n) => names.includes(n))),
      `${[...new Set(names)].join(',')} ${key} banger:${alias}`,
    ]);
  }

  /** Drops every line naming any of `names` (a VM's alias, IP or `<name>.vm`). Idempotent. */
  async forget(names: readonly string[]): Promise<void> {
    const drop = names.map(checkHostName);
    return this.update((lines) => lines.filter((line) => !namesOf(line).some((n) => drop.includes(n))));
  }

  /** The key trusted for `name`, if any (`type base64`). */
  async keyOf(name: string): Promise<string | undefined> {
    const line = (await this.read()).find((l) => namesOf(l).includes(name));
    return line?.split(/\s+/).slice(1, 3).join(' ');
  }

  private async read(): Promise<string[]> {
    const text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    return text.split('\n').filter((line) => line.trim() !== '');
  }

  private update(change: (lines: string[]) => string[]): Promise<void> {
    const previous = queues.get(this.file) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async () => this.write(change(await this.read())));
    queues.set(this.file, next);
    return next.finally(() => {
      if (queues.get(this.file) === next) queues.delete(this.file);
    });
  }

  private async write(lines: string[]): Promise<void> {
    ensurePrivateDir(dirname(this.file));
    const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(lines.map((l) => `${l}\n`).join(''));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

function namesOf(line: string): string[] {
  if (line.startsWith('#')) return [];
  return (line.split(/\s+/)[0] ?? '').split(',');
}

function checkHostName(name: string): string {
  if (!HOST_NAME.test(name)) {
    throw new AppError('internal', `not a plain host name for known_hosts: ${JSON.stringify(name)}`);
  }
  return name;
}

/** `type base64` without any comment; rejects anything else. */
function normaliseKey(publicKey: string): string {
  const key = publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
  if (!PUBLIC_KEY.test(key) || /[\r\n]/.test(publicKey.trim()))
    throw new AppError('internal', 'not an OpenSSH public host key');
  return key;
}
