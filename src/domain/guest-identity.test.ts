import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IDENTITY_DONE, identityScript } from './guest-identity.js';

const identity = {
  name: 'fork-1',
  address: '172.16.0.7/24',
  gateway: '172.16.0.1',
  mac: '06:00:ac:10:00:07',
  hostKey: {
    privateKey: "-----BEGIN KEY-----\n'$(reboot)`x`\n-----END KEY-----\n",
    publicKey: 'ssh-ed25519 AAAA x',
  },
  machineId: '0123456789abcdef0123456789abcdef',
  now: 1_780_000_000,
};

describe('identityScript', () => {
  it('is valid POSIX shell that ends by saying it is done', () => {
    const script = identityScript(identity);
    execFileSync('sh', ['-n', '-c', script]);
    expect(script.trimEnd().split('\n').at(-1)).toBe(`echo ${IDENTITY_DONE}`);
    expect(script).toContain('ip addr add 172.16.0.7/24 dev eth0');
    expect(script).toContain('ip link set dev eth0 address 06:00:ac:10:00:07');
    expect(script).toContain('ip route replace default via 172.16.0.1 dev eth0');
    expect(script).toContain('172.16.0.7\\tfork-1');
    expect(script).toContain('date -s @1780000000');
  });

  it('leaves the network alone when told the address stays', () => {
    const script = identityScript({ ...identity, reconfigureNetwork: false });
    execFileSync('sh', ['-n', '-c', script]);
    expect(script).not.toMatch(/\bip (link|addr|route)\b/);
    expect(script).toContain('hostname fork-1');
    expect(script).toContain('172.16.0.7\\tfork-1');
  });

  it('carries the host key base64-encoded, so no byte of it reaches the shell as code', () => {
    const script = identityScript(identity);
    expect(script).not.toContain('$(reboot)');
    const encoded = /echo (\S+) \| base64 -d > \/etc\/ssh\/ssh_host_ed25519_key\)/.exec(script)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString()).toBe(identity.hostKey.privateKey);
  });

  it.each([
    ['name', { name: 'Bad;name' }],
    ['address', { address: '172.16.0.7; reboot' }],
    ['gateway', { gateway: '$(id)' }],
    ['MAC', { mac: '06:00:AC:10:00:07 x' }],
    ['machine-id', { machineId: 'xyz' }],
    ['time', { now: -1 }],
  ])('refuses a bad %s', (_what, over) => {
    expect(() => identityScript({ ...identity, ...over })).toThrow(/guest identity: bad/);
  });
});
