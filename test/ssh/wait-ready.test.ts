import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHostKey } from '../../src/host/ssh/host-key.js';
import { waitForSsh } from '../../src/host/ssh/wait-ready.js';
import { freePort, startSshd, stopAllSshd, type TestSshd } from '../support/sshd.js';

let root: string;
let sshd: TestSshd;
const servers: Server[] = [];

/** A TCP server on 127.0.0.1 that accepts and then does `onConnection`. */
async function listen(onConnection: (s: import('node:net').Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'banger-wait-'));
  sshd = await startSshd(await generateHostKey(), []);
});

afterAll(async () => {
  for (const s of servers) s.close();
  await stopAllSshd();
  rmSync(root, { recursive: true, force: true });
});

describe('waitForSsh', () => {
  it('resolves once sshd sends its banner', async () => {
    await waitForSsh({ host: '127.0.0.1', port: sshd.port, timeoutMs: 5000 });
  });

  it('times out with a clear error on a port that never opens', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await waitForSsh({ host: '127.0.0.1', port, timeoutMs: 1500 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    expect(err.message).toMatch(
      new RegExp(`^SSH on 127.0.0.1:${port} did not answer within 2 s \\(ECONNREFUSED\\)`),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('does not mistake a listening socket that never speaks SSH for a ready guest', async () => {
    const silent = await listen(() => {});
    await expect(waitForSsh({ host: '127.0.0.1', port: silent, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'timeout',
    });
    const http = await listen((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await expect(waitForSsh({ host: '127.0.0.1', port: http, timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'timeout',
    });
  });

  it('waits for a server that comes up later', async () => {
    const port = await freePort();
    const later = setTimeout(() => {
      const server = createServer((s) => s.write('SSH-2.0-Late\r\n'));
      servers.push(server);
      server.listen(port, '127.0.0.1');
    }, 700);
    const t0 = Date.now();
    await waitForSsh({ host: '127.0.0.1', port, timeoutMs: 5000, intervalMs: 100 });
    clearTimeout(later);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
  });

  it('stops promptly when aborted', async () => {
    const port = await freePort();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const t0 = Date.now();
    await expect(
      waitForSsh({ host: '127.0.0.1', port, timeoutMs: 10_000, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
