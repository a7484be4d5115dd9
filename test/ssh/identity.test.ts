import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpawnRunner } from '../../src/host/runner.js';
import { generateHostKey } from '../../src/host/ssh/host-key.js';
import { ensureSshKey } from '../../src/host/ssh/identity.js';

const runner = new SpawnRunner();
const roots: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'banger-id-'));
  roots.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe('ensureSshKey', () => {
  it('creates banger key once, 0600 in a 0700 directory, and reuses it', async () => {
    const defaultPath = join(temp(), 'config', 'banger', 'ssh', 'id_ed25519');
    const first = await ensureSshKey({ runner, defaultPath });
    expect(first.privateKeyPath).toBe(defaultPath);
    expect(first.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/);
    expect(statSync(defaultPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(defaultPath, '..')).mode & 0o777).toBe(0o700);
    const derived = (await runner.run(['ssh-keygen', '-y', '-f', defaultPath])).stdout.trim();
    expect(derived.startsWith(first.publicKey)).toBe(true);
    expect(await ensureSshKey({ runner, defaultPath })).toEqual(first);
  });

  it('concurrent first calls agree on one key and leave no temp files', async () => {
    const defaultPath = join(temp(), 'ssh', 'id_ed25519');
    const all = await Promise.all(Array.from({ length: 6 }, () => ensureSshKey({ runner, defaultPath })));
    expect(new Set(all.map((k) => k.publicKey)).size).toBe(1);
    expect(readdirSync(join(defaultPath, '..')).sort()).toEqual(['id_ed25519', 'id_ed25519.pub']);
  });

  it('tightens a loose mode on its own key', async () => {
    const defaultPath = join(temp(), 'ssh', 'id_ed25519');
    await ensureSshKey({ runner, defaultPath });
    chmodSync(defaultPath, 0o644);
    await ensureSshKey({ runner, defaultPath });
    expect(statSync(defaultPath).mode & 0o777).toBe(0o600);
  });

  it('uses a configured key as it is, deriving the public half when there is no .pub', async () => {
    const dir = temp();
    const own = join(dir, 'mine');
    await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'me', '-f', own]);
    rmSync(`${own}.pub`);
    const defaultPath = join(dir, 'banger', 'id_ed25519');
    const id = await ensureSshKey({ runner, configuredPath: own, defaultPath });
    expect(id.privateKeyPath).toBe(own);
    expect(id.publicKey).toMatch(/^ssh-ed25519 AAAA/);
    expect(existsSync(defaultPath)).toBe(false);
    expect(existsSync(`${own}.pub`)).toBe(false);
  });

  it('never creates a configured key that is missing, and says what to do', async () => {
    const dir = temp();
    const missing = join(dir, 'nope');
    const err = await ensureSshKey({ runner, configuredPath: missing, defaultPath: join(dir, 'd') }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'invalid_config' });
    expect(err.message).toMatch(/ssh_key_path .*nope does not exist; create the key or remove ssh_key_path/);
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses a configured key others can read', async () => {
    const dir = temp();
    const own = join(dir, 'mine');
    await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', own]);
    chmodSync(own, 0o644);
    await expect(ensureSshKey({ runner, configuredPath: own, defaultPath: join(dir, 'd') })).rejects.toThrow(
      /chmod 600/,
    );
  });

  it('refuses a file that is not an SSH key', async () => {
    const dir = temp();
    const own = join(dir, 'junk');
    writeFileSync(own, 'hello', { mode: 0o600 });
    await expect(
      ensureSshKey({ runner, configuredPath: own, defaultPath: join(dir, 'd') }),
    ).rejects.toThrow();
  });
});

describe('generateHostKey', () => {
  it('returns a fresh ed25519 pair that ssh-keygen reads, in the layout ssh-keygen writes', async () => {
    const [a, b] = [generateHostKey(), generateHostKey()];
    expect(a.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/);
    expect(a.publicKey).not.toBe(b.publicKey);
    const dir = temp();
    const file = join(dir, 'check');
    writeFileSync(file, a.privateKey, { mode: 0o600 });
    // The public key really belongs to the private key, as OpenSSH reads it.
    expect((await runner.run(['ssh-keygen', '-y', '-f', file])).stdout.trim()).toBe(a.publicKey);
    // Same shape as ssh-keygen's own: armour, 70-column base64, one key, no cipher, sizes.
    await runner.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', join(dir, 'real')]);
    const lines = (text: string) => text.trimEnd().split('\n');
    const real = lines(readFileSync(join(dir, 'real'), 'utf8'));
    const ours = lines(a.privateKey);
    expect(ours.map((l) => l.length)).toEqual(real.map((l) => l.length));
    expect([ours[0], ours.at(-1)]).toEqual([real[0], real.at(-1)]);
    expect(a.privateKey.endsWith('-----END OPENSSH PRIVATE KEY-----\n')).toBe(true);
    // ssh-keygen can rewrite it (parses every field, checks the check-ints and the padding).
    await runner.run(['ssh-keygen', '-q', '-p', '-N', '', '-P', '', '-f', file]);
    expect((await runner.run(['ssh-keygen', '-y', '-f', file])).stdout.trim()).toBe(a.publicKey);
  });
});
