// tools/testbed/netns.sh builds a test bed in which NAT can be observed,
// and leaves the host's own network alone. Needs root and iproute2/iptables.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = resolve('tools/testbed/netns.sh');
const name = `tb-${randomBytes(3).toString('hex')}`;
let server: ChildProcess | undefined;

async function sh(args: string[]): Promise<string> {
  return (await run(SCRIPT, args)).stdout;
}

function vars(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

/** Connects from namespace `ns` to host:port; true when the TCP handshake completes within 2 s. */
async function canConnect(ns: string, host: string, port: number): Promise<boolean> {
  const code = `const s=require('net').connect(${port},'${host}',()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),2000)`;
  try {
    await run('ip', ['netns', 'exec', ns, process.execPath, '-e', code]);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  server?.kill('SIGKILL');
  await run(SCRIPT, ['down', name]).catch(() => undefined);
});

describe('tools/testbed/netns.sh', () => {
  it('provides a bridge, a fake guest and a fake upstream in which NAT is observable', async () => {
    const hostLinksBefore = (await run('ip', ['-br', 'link'])).stdout;
    const layout = vars(await sh(['up', name]));
    expect(layout).toMatchObject({
      NETNS: name,
      UPSTREAM_NETNS: `${name}-up`,
      BRIDGE: 'banger0',
      INTERNET_IP: '198.51.100.1',
    });
    const guest = vars(await sh(['guest', name, 'a', '172.16.0.2/24'])).GUEST_NETNS ?? '';
    expect(guest).toBe(`${name}-g-a`);

    // A server on the fake internet that reports who connected.
    const serverCode =
      "require('net').createServer(s=>{console.log('FROM '+s.remoteAddress);s.end()}).listen(8080,'198.51.100.1',()=>console.log('LISTENING'))";
    server = spawn('ip', ['netns', 'exec', `${name}-up`, process.execPath, '-e', serverCode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let seen = '';
    server.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
    });
    for (let i = 0; i < 100 && !seen.includes('LISTENING'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain('LISTENING');

    // Without NAT the upstream cannot answer the guest's private address.
    expect(await canConnect(guest, '198.51.100.1', 8080)).toBe(false);
    await run('ip', [
      'netns',
      'exec',
      name,
      'iptables',
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      '172.16.0.0/24',
      '-o',
      'uplink0',
      '-j',
      'MASQUERADE',
    ]);
    expect(await canConnect(guest, '198.51.100.1', 8080)).toBe(true);
    for (let i = 0; i < 40 && !seen.includes('FROM'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain(`FROM ${layout.UPLINK_IP}`); // masqueraded to the test host's uplink address

    // Nothing of this exists in the host's namespace, and `down` removes it all.
    expect((await run('ip', ['-br', 'link'])).stdout).toBe(hostLinksBefore);
    server.kill('SIGKILL');
    await sh(['down', name]);
    const left = (await run('ip', ['netns', 'list'])).stdout;
    expect(left).not.toContain(name);
  });

  it('refuses to reuse an existing namespace name', async () => {
    const other = `${name}-x`;
    await sh(['up', other, '--no-bridge']);
    try {
      await expect(sh(['up', other])).rejects.toThrow(/already exists/);
    } finally {
      await sh(['down', other]);
    }
  });
});
