import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePath, routes } from '../../src/api/routes.js';
import { resolvePaths } from '../../src/host/paths.js';
import { BANGER, BANGERD, createSandbox, type Sandbox } from '../support/sandbox.js';

/**
 * The web listener's security model (docs/web-ui.md) against a real bangerd
 * started from dist/ with web_listen_addr on a free loopback port: who gets
 * in (the cookie from a one-time login link, plus for the API the per-login
 * session secret the login's redirect carries in its fragment), what is
 * refused (no cookie, no session secret, a foreign Host, a cross-site write,
 * a malformed URL), what is not there at all (daemon stop, minting logins)
 * and where the secrets live (a 0600 file, memory; never the log).
 */

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with node:http, which (unlike fetch) lets a test set Host; the Host defaults to the listener's. */
function send(
  port: number,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: o.method ?? 'GET',
        path: o.path,
        headers: o.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const configFile = (s: Sandbox) => join(s.env.HOME!, '.config', 'banger', 'config.toml');
const stateDir = (s: Sandbox) => join(s.env.HOME!, '.local', 'state', 'banger');
const mode = (p: string) => statSync(p).mode & 0o777;

function setWebConfig(s: Sandbox, lines: string): void {
  writeFileSync(configFile(s), `dns_listen_addr = "127.0.0.1:0"\n${lines}`);
}

function run(s: Sandbox, args: string[]) {
  const r = s.banger(args);
  if (r.status !== 0) throw new Error(`banger ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** What a logged-in page sends: the cookie, and for the API the session secret as a Bearer header. */
interface Login {
  cookie: string;
  authorization: string;
}

/** Trades a fresh `banger web --json` link for the cookie (`banger_web=...`) and the session secret. */
async function login(s: Sandbox, port: number): Promise<Login> {
  const { url } = JSON.parse(run(s, ['web', '--json'])) as { url: string };
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/^banger_web=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
  expect(new URL(url).port).toBe(String(port));
  const secret = /^\/#session=([A-Za-z0-9_-]{43})$/.exec(res.headers.get('location') ?? '')?.[1];
  expect(secret, 'the redirect carries the session secret in its fragment').toBeDefined();
  return { cookie: cookie.split(';')[0]!, authorization: `Bearer ${secret}` };
}

let sb: Sandbox;
let port: number;
let origin: string;

beforeAll(async () => {
  sb = createSandbox();
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  setWebConfig(sb, `web_listen_addr = "127.0.0.1:${port}"\n`);
  run(sb, ['daemon', 'status']);
});

afterAll(() => sb?.cleanup());

describe('web listener: the way in', () => {
  it('shows its address in daemon status, as text and as JSON', () => {
    const status = JSON.parse(run(sb, ['daemon', 'status', '--json']));
    expect(status.webUrl).toBe(`${origin}/`);
    expect(status.webError).toBeNull();
    expect(run(sb, ['daemon', 'status'])).toMatch(new RegExp(`^web: +${origin}/$`, 'm'));
  });

  it('logs in with the link `banger web --json` prints, once: cookie plus session secret then read the API', async () => {
    const { url } = JSON.parse(run(sb, ['web', '--json'])) as { url: string };
    expect(url).toMatch(new RegExp(`^${origin}/login\\?code=[A-Za-z0-9_-]{43}$`));
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const location = first.headers.get('location') ?? '';
    expect(location).toMatch(/^\/#session=[A-Za-z0-9_-]{43}$/);
    const authorization = `Bearer ${location.slice('/#session='.length)}`;
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    const vms = await fetch(`${origin}/v1/vms`, { headers: { cookie, authorization } });
    expect(vms.status).toBe(200);
    expect(await vms.json()).toEqual({ vms: [] });
    // Either half alone is refused: a cookie any server on 127.0.0.1 may have received, or a secret.
    expect((await fetch(`${origin}/v1/vms`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${origin}/v1/vms`, { headers: { authorization } })).status).toBe(401);
    // Each login has its own secret; the earlier one stays valid.
    const other = await login(sb, port);
    expect(other.authorization).not.toBe(authorization);
    expect((await fetch(`${origin}/v1/vms`, { headers: { cookie, authorization } })).status).toBe(200);

    const again = await fetch(url, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('Run `banger web` again');
    const forged = await fetch(`${origin}/login?code=${'A'.repeat(43)}`, { redirect: 'manual' });
    expect(forged.status).toBe(401);
    expect((await fetch(`${origin}/login`, { redirect: 'manual' })).status).toBe(401);
  });

  it('prints the plain link without --json and opens nothing when stdout is not a terminal', () => {
    const r = sb.banger(['web']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${origin}/login\\?code=[A-Za-z0-9_-]{43}\\n$`));
    expect(r.stderr).toBe('open this link in your browser within 2 minutes; it works once\n');
  });

  it('on a terminal opens the link with xdg-open from PATH through a private file, unless --no-open', async () => {
    const bin = join(sb.root, 'fake-bin');
    const opened = join(sb.root, 'opened');
    mkdirSync(bin, { recursive: true });
    // Records its whole argv, one line per call: what any local user could read in /proc.
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$*" >> "${opened}"\n`, { mode: 0o755 });
    const runtimeDir = resolvePaths(sb.env).runtimeDir;
    mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
    const stale = join(runtimeDir, 'web-login-stale.html');
    const recent = join(runtimeDir, 'web-login-recent.html');
    for (const f of [stale, recent]) writeFileSync(f, 'old', { mode: 0o600 });
    const threeMinutesAgo = new Date(Date.now() - 180_000);
    utimesSync(stale, threeMinutesAgo, threeMinutesAgo);
    const onTerminal = (args: string) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BANGER} web ${args}`, '/dev/null'], {
        env: { ...sb.env, PATH: `${bin}:${sb.env.PATH}` },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const r = onTerminal('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('opened in your browser (xdg-open)');
    const printed = /http:\/\/\S+/.exec(r.stdout)?.[0];
    expect(printed).toMatch(/\/login\?code=/);
    const deadline = Date.now() + 5000;
    while (!existsSync(opened) && Date.now() < deadline) await new Promise((w) => setTimeout(w, 50));
    const argv = readFileSync(opened, 'utf8');
    expect(argv).not.toContain('code=');
    const file = argv.trim();
    expect(file).toMatch(new RegExp(`^${runtimeDir}/web-login-[A-Za-z0-9_-]+\\.html$`));
    expect(mode(file)).toBe(0o600);
    expect(mode(dirname(file))).toBe(0o700);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain(`<meta http-equiv="refresh" content="0;url=${printed}">`);
    expect(html).toContain(`<a href="${printed}">`);
    expect(html).not.toMatch(/<script/);
    // Files of earlier runs go once their code has expired (2 minutes); newer ones stay.
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);

    const quiet = onTerminal('--no-open');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toContain('open this link in your browser');
    expect(readFileSync(opened, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('serves the UI (or the page saying to build it) to a logged-in browser, never cached', async () => {
    const { cookie } = await login(sb, port);
    const res = await send(port, { path: '/', headers: { cookie } });
    expect([200, 503]).toContain(res.status);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    if (res.status === 503) expect(res.body).toContain('npm run build');
  });

  it('keeps the token in a 0600 file in the 0700 state dir, reused after a restart; never in the log', async () => {
    const before = await login(sb, port);
    const { cookie } = before;
    const file = join(stateDir(sb), 'web-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(cookie).toBe(`banger_web=${token}`);
    expect(mode(file)).toBe(0o600);
    expect(mode(stateDir(sb))).toBe(0o700);
    expect((await send(port, { path: '/v1/vms', headers: { ...before } })).status).toBe(200);

    run(sb, ['daemon', 'stop']);
    run(sb, ['daemon', 'status']);
    // The cookie survives a restart (the page still loads); session secrets do not: they live in
    // the daemon's memory only, so one captured while the daemon was down is worthless after.
    expect((await send(port, { path: '/', headers: { cookie } })).status).not.toBe(401);
    const stale = await send(port, { path: '/v1/vms', headers: { ...before } });
    expect(stale.status).toBe(401);
    expect(JSON.parse(stale.body).error.code).toBe('unauthorized');
    const after = await login(sb, port);
    expect(after.cookie).toBe(cookie);
    expect((await send(port, { path: '/v1/vms', headers: { ...after } })).status).toBe(200);

    const { url } = JSON.parse(run(sb, ['web', '--json'])) as { url: string };
    const code = new URL(url).searchParams.get('code')!;
    await fetch(url, { redirect: 'manual' });
    await fetch(url, { redirect: 'manual' }); // a refused second use must not log it either
    const log = readFileSync(join(stateDir(sb), 'bangerd.log'), 'utf8');
    expect(log).toContain('web UI listening');
    expect(log).not.toContain(token);
    for (const secret of [before, after].map((l) => l.authorization.slice('Bearer '.length))) {
      expect(log).not.toContain(secret);
    }
    expect(log).not.toContain(code);
    expect(log).not.toContain('code=');
  });
});

describe('web listener: what is refused', () => {
  it('answers 401 without the cookie on every route of the API table, on / and on unknown paths', async () => {
    for (const route of Object.values(routes)) {
      const path = routePath(route, { ref: 'some-vm', name: 'some-name' });
      // A same-origin request, so only the missing cookie can refuse it.
      const res = await send(port, { method: route.method, path, headers: { origin } });
      expect(res.status, `${route.method} ${path}`).toBe(401);
      expect(JSON.parse(res.body), `${route.method} ${path}`).toEqual({
        error: { code: 'unauthorized', message: expect.stringContaining('banger web') },
      });
    }
    // The web listener's own routes, outside the API table, are behind the same guard.
    for (const [method, path] of [
      ['GET', '/v1/web/vms/some-vm/ports'],
      ['POST', '/v1/web/terminal-ticket'],
    ] as const) {
      const res = await send(port, { method, path, headers: { origin } });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    for (const path of ['/', '/assets/index.js', '/nothing-here']) {
      const res = await send(port, { path });
      expect(res.status, path).toBe(401);
      expect(res.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(res.body, path).toContain('banger web');
    }
    const wrongCookie = await send(port, {
      path: '/v1/vms',
      headers: { cookie: `banger_web=${'x'.repeat(43)}` },
    });
    expect(wrongCookie.status).toBe(401);
  });

  it('answers 401 on every route of the API table to the cookie without the session secret, and to the secret without the cookie', async () => {
    const { cookie, authorization } = await login(sb, port);
    const halves: Record<string, string>[] = [
      { cookie },
      { cookie, authorization: `Bearer ${'A'.repeat(43)}` },
      { cookie, authorization: authorization.replace('Bearer', 'Basic') },
      { authorization },
      { cookie: `banger_web=${'x'.repeat(43)}`, authorization },
    ];
    for (const route of Object.values(routes)) {
      const path = routePath(route, { ref: 'some-vm', name: 'some-name' });
      for (const headers of halves) {
        const res = await send(port, { method: route.method, path, headers: { origin, ...headers } });
        const what = `${route.method} ${path} ${Object.keys(headers).join('+')}`;
        expect(res.status, what).toBe(401);
        expect(JSON.parse(res.body).error.code, what).toBe('unauthorized');
      }
    }
    // The UI's own files need the cookie only: a navigation cannot send a header.
    expect((await send(port, { path: '/', headers: { cookie } })).status).not.toBe(401);
    expect((await send(port, { path: '/v1/vms', headers: { cookie, authorization } })).status).toBe(200);
  });

  it('refuses a Host other than its own address, even logged in (DNS rebinding)', async () => {
    const auth = await login(sb, port);
    for (const host of [`evil.example:${port}`, '127.0.0.1', `127.0.0.1:${port + 1}`, `127.0.0.2:${port}`]) {
      for (const path of ['/v1/vms', '/']) {
        const res = await send(port, { path, headers: { host, ...auth } });
        expect(res.status, `${host} ${path}`).toBe(421);
      }
    }
    const local = await send(port, { path: '/v1/vms', headers: { host: `localhost:${port}`, ...auth } });
    expect(local.status).toBe(200);
  });

  it('refuses a write from another origin or without Origin, even logged in; its own origin gets through', async () => {
    const auth = await login(sb, port);
    const path = routePath(routes.stopVm, { ref: 'no-such-vm' });
    const post = (headers: Record<string, string>) =>
      send(port, {
        method: 'POST',
        path,
        headers: { ...auth, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
    const refused: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      {},
      { origin: 'null' },
      { origin: `https://127.0.0.1:${port}` },
      { origin: `http://localhost:${port}.evil.example` },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('forbidden');
    }
    const same = await post({ origin });
    expect(same.status).toBe(404);
    expect(JSON.parse(same.body).error.code).toBe('not_found');
  });

  it('has no daemon stop and no login minting: both are for the Unix socket only', async () => {
    const auth = await login(sb, port);
    for (const route of [routes.stopDaemon, routes.webLogin]) {
      const res = await send(port, { method: route.method, path: route.path, headers: { ...auth, origin } });
      expect(res.status, route.path).toBe(404);
    }
    // Still running, and the socket still has both.
    expect(JSON.parse(run(sb, ['daemon', 'status', '--json'])).webUrl).toBe(`${origin}/`);
    expect(JSON.parse(run(sb, ['web', '--json'])).url).toContain('/login?code=');
  });

  it('serves only plain file names under /assets/ (no traversal, encoded or not)', async () => {
    const auth = await login(sb, port);
    for (const path of [
      '/assets/..%2f..%2fetc%2fpasswd',
      '/assets/../index.html',
      '/assets/..%2findex.html',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/..',
      '/assets/.%2e',
      '/assets/a%00b.js',
      '/assets/%2fetc%2fpasswd',
      '/assets/..%5c..%5cpackage.json',
      '/assets/',
    ]) {
      const res = await send(port, { path, headers: { ...auth } });
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toMatch(/root:|"name": "banger"|<script/);
    }
  });

  it('answers a malformed URL with its Host check, the security headers and a fixed message', async () => {
    const auth = await login(sb, port);
    for (const path of ['/assets/%zz', '/v1/vms/%zz', '/%E0%A4%A']) {
      const wrongHost = await send(port, { path, headers: { host: `evil.example:${port}`, ...auth } });
      expect(wrongHost.status, path).toBe(421);
      expect(wrongHost.body, path).not.toContain('%');
      const own = await send(port, { path, headers: { ...auth } });
      expect(own.status, path).toBe(400);
      expect(own.body, path).toContain('the URL is malformed');
      expect(own.body, path).not.toContain('%');
      for (const res of [wrongHost, own]) {
        expect(res.headers['x-frame-options'], path).toBe('DENY');
        expect(res.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
        expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      }
    }
  });

  it('sends the security headers on pages, API answers and refusals', async () => {
    const auth = await login(sb, port);
    const answers = [
      await send(port, { path: '/', headers: { cookie: auth.cookie } }),
      await send(port, { path: '/v1/vms', headers: { ...auth } }),
      await send(port, { path: '/v1/vms', headers: { cookie: auth.cookie } }),
      await send(port, { path: '/v1/vms' }),
      await send(port, { path: '/login?code=nope' }),
    ];
    for (const res of answers) {
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
      );
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('web listener: start and stop with the daemon', () => {
  it('ends an open event stream and stops listening when the daemon stops', async () => {
    const auth = await login(sb, port);
    const events = await fetch(`${origin}/v1/events`, { headers: { ...auth } });
    expect(events.status).toBe(200);
    expect(events.headers.get('x-content-type-options')).toBe('nosniff');
    const reader = events.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^\{"type":"snapshot"/);
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    const stop = sb.banger(['daemon', 'stop']);
    expect(stop.status).toBe(0);
    await expect(ended).resolves.toBe(true);
    await expect(send(port, { path: '/' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    run(sb, ['daemon', 'status']);
  });

  it('keeps the daemon running when the port is taken, and says why in status and banger web', async () => {
    const other = createSandbox();
    const taken: Server = createServer();
    try {
      const busy = await freePort();
      await new Promise<void>((resolve) => taken.listen(busy, '127.0.0.1', resolve));
      setWebConfig(other, `web_listen_addr = "127.0.0.1:${busy}"\n`);
      const status = JSON.parse(run(other, ['daemon', 'status', '--json']));
      expect(status.webUrl).toBeNull();
      expect(status.webError).toContain('EADDRINUSE');
      expect(run(other, ['daemon', 'status'])).toMatch(/^web: +unavailable \(.*EADDRINUSE.*\)$/m);
      const web = other.banger(['web']);
      expect(web.status).toBe(8);
      expect(web.stderr).toMatch(
        new RegExp(
          `^banger: the web UI is not listening on 127\\.0\\.0\\.1:${busy} \\(.*EADDRINUSE.*\\); .*web_listen_addr.*\\n$`,
        ),
      );
    } finally {
      taken.close();
      other.cleanup();
    }
  });

  it('says how to turn the web UI on when web_listen_addr is unset', () => {
    const off = createSandbox();
    try {
      const status = JSON.parse(run(off, ['daemon', 'status', '--json']));
      expect(status.webUrl).toBeNull();
      expect(status.webError).toBeNull();
      expect(run(off, ['daemon', 'status'])).toMatch(/^web: +off \(set web_listen_addr/m);
      const web = off.banger(['web', '--json']);
      expect(web.status).toBe(5);
      expect(web.stdout).toBe('');
      expect(web.stderr).toBe(
        `banger: the web UI is off; set web_listen_addr = "127.0.0.1:7777" in ${configFile(off)} and restart the daemon\n`,
      );
    } finally {
      off.cleanup();
    }
  });

  it('refuses to start on a non-loopback web_listen_addr without web_allow_remote: one config line, exit 3', () => {
    const remote = createSandbox();
    try {
      setWebConfig(remote, 'web_listen_addr = "0.0.0.0:7777"\n');
      const file = configFile(remote);
      const expected = new RegExp(
        `^${file}:2: web_listen_addr: 0\\.0\\.0\\.0 is not a loopback address.*set web_allow_remote = true.*\\n$`,
      );
      const cli = remote.banger(['daemon', 'status']);
      expect(cli.status).toBe(3);
      expect(cli.stderr).toMatch(new RegExp(`^banger: ${expected.source.slice(1)}`));
      const daemon = spawnSync(process.execPath, [BANGERD], {
        env: remote.env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(daemon.status).toBe(3);
      expect(daemon.stderr).toMatch(new RegExp(`^bangerd: ${expected.source.slice(1)}`));
      expect(daemon.stderr.split('\n')).toHaveLength(2);
    } finally {
      remote.cleanup();
    }
  });
});
