import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** An SSH host keypair banger generates for a guest. */
export interface HostKeyPair {
  /** OpenSSH private key file contents, to install as the guest's /etc/ssh/ssh_host_ed25519_key (0600). */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` (no comment), for the guest's .pub file and banger's known_hosts. */
  publicKey: string;
}

/** An SSH wire-format string: u32 length, then the bytes. */
function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Generates a fresh ed25519 host keypair in-process (no ssh-keygen, no
 * temporary files: this runs on every VM create) and writes it in the
 * formats OpenSSH reads: the unencrypted `openssh-key-v1` private key file
 * that `ssh-keygen -t ed25519 -N ''` writes, and the `ssh-ed25519` public
 * key line. Knowing the guest's host key before it boots is what lets
 * banger connect with strict host-key checking from the first connection.
 */
export function generateHostKey(): HostKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const pk = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const publicBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
  const check = randomBytes(4);
  const section = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pk),
    // OpenSSH keeps the 32-byte seed followed by the public key as the "secret key".
    sshString(Buffer.concat([seed, pk])),
    sshString(''), // comment
  ]);
  // Unencrypted keys are padded with 1, 2, 3, ... to the cipher block size of "none", 8.
  const padLength = (8 - (section.length % 8)) % 8;
  const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const file = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([section, padding])),
  ]);
  const body = file.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `ssh-ed25519 ${publicBlob.toString('base64')}`,
  };
}
