import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KnownHosts } from './known-hosts.js';

const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

const fresh = () => new KnownHosts(join(mkdtempSync(join(tmpdir(), 'banger-kh-')), 'ssh', 'known_hosts'));

describe('KnownHosts', () => {
  it('writes one tagged line per VM, 0600 in a 0700 directory', async () => {
    const kh = fresh();
    await kh.trust('vm-1', ['172.16.0.2', 'one.vm'], `${KEY_A} some comment`);
    expect(readFileSync(kh.file, 'utf8')).toBe(`vm-1,172.16.0.2,one.vm ${KEY_A} banger:vm-1\n`);
    expect(statSync(kh.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(kh.file, '..')).mode & 0o777).toBe(0o700);
  });

  it('replaces every line sharing a name, so a re-used address keeps no stale key', async () => {
    const kh = fresh();
    await kh.trust('vm-1', ['172.16.0.2', 'one.vm'], KEY_A);
    await kh.trust('vm-2', ['172.16.0.3', 'two.vm'], KEY_A);
    await kh.trust('vm-3', ['172.16.0.2', 'three.vm'], KEY_B);
    expect(await kh.keyOf('vm-1')).toBeUndefined();
    expect(await kh.keyOf('one.vm')).toBeUndefined();
    expect(await kh.keyOf('172.16.0.2')).toBe(KEY_B);
    expect(await kh.keyOf('vm-2')).toBe(KEY_A);
  });

  it('forgets by any name and is idempotent', async () => {
    const kh = fresh();
    await kh.trust('vm-1', ['172.16.0.2'], KEY_A);
    await kh.forget(['172.16.0.2']);
    await kh.forget(['172.16.0.2']);
    expect(readFileSync(kh.file, 'utf8')).toBe('');
  });

  it('keeps lines it did not write', async () => {
    const kh = fresh();
    await kh.trust('vm-1', ['172.16.0.2'], KEY_A);
    writeFileSync(kh.file, `# mine\nother.example ${KEY_B}\n${readFileSync(kh.file, 'utf8')}`);
    await kh.forget(['vm-1']);
    expect(readFileSync(kh.file, 'utf8')).toBe(`# mine\nother.example ${KEY_B}\n`);
  });

  it('loses no entry when many VMs are trusted at once, through separate instances', async () => {
    const file = fresh().file;
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        new KnownHosts(file).trust(`vm-${i}`, [`172.16.0.${i + 2}`, `n${i}.vm`], i % 2 ? KEY_A : KEY_B),
      ),
    );
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.split(',')[0])).size).toBe(60);
  });

  it('rejects names and keys that would change the meaning of the file', async () => {
    const kh = fresh();
    await expect(kh.trust('*', [], KEY_A)).rejects.toThrow(/host name/);
    await expect(kh.trust('vm-1', ['a,b'], KEY_A)).rejects.toThrow(/host name/);
    await expect(kh.trust('vm-1', ['!x'], KEY_A)).rejects.toThrow(/host name/);
    await expect(kh.trust('vm-1', [], 'ssh-ed25519 AAAA\nevil.host ssh-ed25519 AAAA')).rejects.toThrow(/key/);
    await expect(kh.trust('vm-1', [], '@cert-authority * ssh-ed25519 AAAA')).rejects.toThrow(/key/);
  });
});
