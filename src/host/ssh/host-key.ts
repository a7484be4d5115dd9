import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../paths.js';
import type { Runner } from '../runner.js';

/** An SSH host keypair banger generates for a guest. */
export interface HostKeyPair {
  /** OpenSSH private key file contents, to install as the guest's /etc/ssh/ssh_host_ed25519_key (0600). */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` (no comment), for the guest's .pub file and banger's known_hosts. */
  publicKey: string;
}

/**
 * Generates a fresh ed25519 host keypair with ssh-keygen in a private
 * temporary directory under `tmpDir` (one of banger's own directories), reads
 * it and removes the files. Knowing the guest's host key before it boots is
 * what lets banger connect with strict host-key checking from the first
 * connection instead of trusting whatever answers on the guest's address.
 */
export async function generateHostKey(runner: Runner, tmpDir: string): Promise<HostKeyPair> {
  ensurePrivateDir(tmpDir);
  const dir = await mkdtemp(join(tmpDir, 'hostkey-'));
  try {
    const file = join(dir, 'ssh_host_ed25519_key');
    await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
    const privateKey = await readFile(file, 'utf8');
    const [type, blob] = (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
    return { privateKey, publicKey: `${type} ${blob}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
