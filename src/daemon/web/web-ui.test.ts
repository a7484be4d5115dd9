import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/logger.js';
import { errorOf } from '../../testing/app-error.js';
import { installWebGuard, SECURITY_HEADERS } from './guard.js';
import { registerWebPages } from './pages-routes.js';
import { WEB_TOKEN_FILE, WebUi, type WebUiOptions } from './web-ui.js';

/**
 * WebUi with its real guard and pages in front of a one-route stand-in for
 * the API (the daemon's own API over the listener is test/web/security.test.ts):
 * the listener's lifecycle, the login code's expiry on an injected clock,
 * and the UI's files from a directory of the test's.
 */

const open: WebUi[] = [];
afterEach(async () => {
  for (const ui of open.splice(0)) await ui.close();
});

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'banger-webui-'));
  chmodSync(dir, 0o700);
  return dir;
}

async function startUi(options: WebUiOptions & { addr?: string; dir?: string } = {}) {
  const dir = options.dir ?? stateDir();
  const ui = new WebUi(
    {
      config: { webListenAddr: 'addr' in options ? options.addr : '127.0.0.1:0' },
      paths: { stateDir: dir, configFile: '/home/u/.config/banger/config.toml' },
      logger: silentLogger(),
    },
    (self) => {
      const app = Fastify({ forceCloseConnections: true });
      installWebGuard(app, self);
      app.get('/v1/ping', async () => ({ pong: true }));
      registerWebPages(app, {
        webDir: () => self.webDir(),
        codes: self.codes,
        sessionToken: () => self.sessionToken(),
        mintSession: () => self.mintSession(),
      });
      return app;
    },
    options,
  );
  open.push(ui);
  await ui.start();
  return { ui, dir };
}

function get(base: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const url = new URL(path, base);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path, method, headers, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

async function cookieFor(ui: WebUi): Promise<string> {
  return (await loginFor(ui)).cookie;
}

/** The cookie and the `Authorization: Bearer` session header a login gives a browser. */
async function loginFor(ui: WebUi): Promise<{ cookie: string; authorization: string }> {
  const res = await fetch(ui.mintLoginUrl(), { redirect: 'manual' });
  expect(res.status).toBe(303);
  const secret = /^\/#session=([A-Za-z0-9_-]{43})$/.exec(res.headers.get('location') ?? '')?.[1];
  expect(secret).toBeDefined();
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, authorization: `Bearer ${secret}` };
}

describe('WebUi', () => {
  it('listens on web_listen_addr, answers as that address and localhost, and stops on close', async () => {
    const { ui, dir } = await startUi();
    const base = ui.baseUrl()!;
    const port = new URL(base).port;
    expect(base).toBe(`http://127.0.0.1:${port}/`);
    expect(ui.allowedHosts()).toEqual([`127.0.0.1:${port}`, `localhost:${port}`]);
    expect(ui.error()).toBeNull();
    expect(statSync(join(dir, WEB_TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, WEB_TOKEN_FILE), 'utf8').trim()).toBe(ui.sessionToken());
    const session = await loginFor(ui);
    expect((await get(base, '/v1/ping', session)).status).toBe(200);
    expect((await get(base, '/v1/ping', { cookie: session.cookie })).status).toBe(401);
    expect((await get(base, '/v1/ping', { authorization: session.authorization })).status).toBe(401);
    await ui.close();
    expect(ui.baseUrl()).toBeNull();
    await expect(get(base, '/v1/ping', session)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses a login code after its 2 minutes, on the injected clock', async () => {
    const clock = { now: 5_000_000 };
    const { ui } = await startUi({ loginCodes: { now: () => clock.now } });
    const inTime = ui.mintLoginUrl();
    const late = ui.mintLoginUrl();
    clock.now += 119_999;
    expect((await fetch(inTime, { redirect: 'manual' })).status).toBe(303);
    clock.now += 1;
    const expired = await fetch(late, { redirect: 'manual' });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('set-cookie')).toBeNull();
    expect(expired.headers.get('cache-control')).toBe('no-store');
    expect(await expired.text()).toContain('Run `banger web` again');
  });

  it('does not spend a login code on a HEAD request (a link preview)', async () => {
    const { ui } = await startUi();
    const url = ui.mintLoginUrl();
    const head = await fetch(url, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(401);
    expect(head.headers.get('set-cookie')).toBeNull();
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(303);
  });

  it('says how to turn it on when off, and why it is not listening when the port is taken', async () => {
    const { ui: off } = await startUi({ addr: undefined });
    expect(off.baseUrl()).toBeNull();
    expect(off.error()).toBeNull();
    expect(() => off.mintLoginUrl()).toThrow(
      'the web UI is off; set web_listen_addr = "127.0.0.1:7777" in /home/u/.config/banger/config.toml and restart the daemon',
    );
    const { ui: first } = await startUi();
    const taken = first.allowedHosts()[0]!;
    const { ui: second } = await startUi({ addr: taken });
    expect(second.baseUrl()).toBeNull();
    expect(second.error()).toContain('EADDRINUSE');
    const err = errorOf(() => second.mintLoginUrl());
    expect(err.code).toBe('operation_failed');
    expect(err.message).toMatch(
      new RegExp(`^the web UI is not listening on ${taken} \\(.*EADDRINUSE.*\\); free the port`),
    );
  });

  it('keeps the token across restarts, and replaces a token file others could read', async () => {
    const dir = stateDir();
    const { ui: first } = await startUi({ dir });
    const token = first.sessionToken();
    await first.close();
    const { ui: second } = await startUi({ dir });
    expect(second.sessionToken()).toBe(token);
    await second.close();
    chmodSync(join(dir, WEB_TOKEN_FILE), 0o644);
    const { ui: third } = await startUi({ dir });
    expect(third.sessionToken()).not.toBe(token);
    expect(statSync(join(dir, WEB_TOKEN_FILE)).mode & 0o777).toBe(0o600);
  });

  it('serves index.html never cached and assets with their content types; nothing else', async () => {
    const webDir = mkdtempSync(join(tmpdir(), 'banger-webdist-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(webDir, 'secret.txt'), 'outside assets/');
    const files: Record<string, string> = {
      'app-1.js': 'text/javascript; charset=utf-8',
      'app-1.css': 'text/css; charset=utf-8',
      'logo.svg': 'image/svg+xml',
      'logo.png': 'image/png',
      'f.woff2': 'font/woff2',
      'app-1.js.map': 'application/json; charset=utf-8',
    };
    for (const name of Object.keys(files)) writeFileSync(join(webDir, 'assets', name), `bytes of ${name}`);
    const { ui } = await startUi({ webDir });
    const base = ui.baseUrl()!;
    const cookie = await cookieFor(ui);

    const index = await get(base, '/', { cookie });
    expect(index.status).toBe(200);
    expect(index.body.toString()).toBe('<!doctype html><title>ui</title>');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-store');
    for (const [name, value] of Object.entries(SECURITY_HEADERS))
      expect(index.headers[name], name).toBe(value);
    expect((await get(base, '/', { cookie }, 'HEAD')).status).toBe(200);

    for (const [name, type] of Object.entries(files)) {
      const res = await get(base, `/assets/${name}`, { cookie });
      expect(res.status, name).toBe(200);
      expect(res.headers['content-type'], name).toBe(type);
      expect(res.body.toString(), name).toBe(`bytes of ${name}`);
    }
    for (const path of [
      '/assets/..%2fsecret.txt',
      '/assets/../secret.txt',
      '/assets/%2e%2e%2fsecret.txt',
      '/secret.txt',
      '/assets/missing.js',
      '/assets/a%00.js',
    ]) {
      const res = await get(base, path, { cookie });
      expect([400, 401, 404], path).toContain(res.status);
      expect(res.body.toString(), path).not.toContain('outside assets/');
    }
  });

  it('says the UI is not built when index.html is missing', async () => {
    const { ui } = await startUi({ webDir: mkdtempSync(join(tmpdir(), 'banger-webdist-empty-')) });
    const res = await get(ui.baseUrl()!, '/', { cookie: await cookieFor(ui) });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body.toString()).toContain('npm run build');
    expect(res.body.toString()).not.toMatch(/<script|<style/);
  });
});
