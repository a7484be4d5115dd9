import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { BangerClient } from './client.js';

const socket = join(mkdtempSync(join(tmpdir(), 'banger-client-')), 'bangerd.sock');
let connections = 0;
const server = createServer((_req, res) => {
  res.writeHead(500, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'conflict', message: 'answered' } }));
});
server.on('connection', () => {
  connections++;
});

beforeAll(() => new Promise<void>((r) => server.listen(socket, r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('BangerClient beforeConnect', () => {
  it('refuses the connection with the hook’s error, sending nothing', async () => {
    const refusal = new AppError('host_unsupported', 'not yours');
    const client = new BangerClient(socket, {
      beforeConnect: () => {
        throw refusal;
      },
    });
    await expect(client.status()).rejects.toBe(refusal);
    await client.close();
    expect(connections).toBe(0);
  });

  it('runs before each new connection and lets it through when it returns', async () => {
    let checks = 0;
    const client = new BangerClient(socket, { beforeConnect: () => void checks++ });
    await expect(client.status()).rejects.toMatchObject({ code: 'conflict', message: 'answered' });
    await client.close();
    expect(checks).toBe(1);
    expect(connections).toBe(1);
  });
});

describe('BangerClient onUnreachable', () => {
  it('runs once when nothing listens on the socket, then the request is tried again', async () => {
    const late = join(mkdtempSync(join(tmpdir(), 'banger-client-')), 'bangerd.sock');
    const started = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"pid":1}');
    });
    let calls = 0;
    const client = new BangerClient(late, {
      onUnreachable: async () => {
        calls++;
        await new Promise<void>((r) => started.listen(late, r));
      },
    });
    try {
      await expect(client.status()).resolves.toMatchObject({ pid: 1 });
      await expect(client.status()).resolves.toMatchObject({ pid: 1 });
      expect(calls).toBe(1);
    } finally {
      await new Promise<void>((r) => started.close(() => r()));
    }
  });

  it('is not run for a daemon that answered, even with an error, and its failure fails the request', async () => {
    let calls = 0;
    const answered = new BangerClient(socket, { onUnreachable: async () => void calls++ });
    await expect(answered.status()).rejects.toMatchObject({ code: 'conflict' });
    expect(calls).toBe(0);
    const refusal = new AppError('daemon_unavailable', 'bangerd is not running');
    const nobody = new BangerClient(join(tmpdir(), 'banger-no-such-dir', 'bangerd.sock'), {
      onUnreachable: async () => {
        throw refusal;
      },
    });
    await expect(nobody.status()).rejects.toBe(refusal);
  });
});

describe('BangerClient onUnreachable after the daemon answered', () => {
  it('is not run again: a daemon that went away is reported, not started', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'banger-client-')), 'bangerd.sock');
    const daemon = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"pid":1}');
    });
    await new Promise<void>((r) => daemon.listen(path, r));
    let calls = 0;
    const client = new BangerClient(path, { onUnreachable: async () => void calls++ });
    await expect(client.status()).resolves.toMatchObject({ pid: 1 });
    await new Promise<void>((r) => daemon.close(() => r()));
    await expect(client.status()).rejects.toMatchObject({ code: 'daemon_unavailable' });
    expect(calls).toBe(0);
  });
});
