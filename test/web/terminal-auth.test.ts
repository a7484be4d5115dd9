import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSandbox, type Sandbox } from '../support/sandbox.js';

/**
 * Who may open the browser terminal's WebSocket (docs/web-ui.md), against a
 * real bangerd from dist/ with the web listener on: the ticket needs the
 * API's cookie, session secret and Origin; the upgrade needs the right Host,
 * this listener's Origin (no cross-site WebSocket hijacking), the cookie and
 * a ticket that works once. There is no VM here: an accepted upgrade then
 * says so in the terminal, which is enough to tell accepted from refused.
 */

let sb: Sandbox;
let port: number;
let origin: string;
let cookie: string;
let authorization: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  sb = createSandbox();
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(sb.env.HOME!, '.config', 'banger', 'config.toml'),
    `dns_listen_addr = "127.0.0.1:0"\nweb_listen_addr = "127.0.0.1:${port}"\n`,
  );
  const r = sb.banger(['web', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const res = await fetch((JSON.parse(r.stdout) as { url: string }).url, { redirect: 'manual' });
  cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  authorization = `Bearer ${/#session=(.+)$/.exec(res.headers.get('location') ?? '')?.[1]}`;
});

afterAll(() => sb?.cleanup());

async function ticket(headers: Record<string, string> = { cookie, authorization, origin }) {
  const res = await fetch(`${origin}/v1/web/terminal-ticket`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ vm: 'nosuchvm' }),
  });
  return { status: res.status, body: (await res.json()) as { ticket?: string; error?: { code: string } } };
}

interface Outcome {
  /** The HTTP status of a refused upgrade, or 101. */
  status: number;
  /** A refusal's text, or the first text frame of an accepted one. */
  text: string;
}

/** Tries the upgrade; the defaults are what the page sends. */
function open(o: {
  ticket?: string;
  cookie?: string;
  origin?: string;
  host?: string;
  query?: string;
}): Promise<Outcome> {
  const protocols = ['banger-terminal', ...(o.ticket ? [`banger-ticket.${o.ticket}`] : [])];
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/v1/web/terminal${o.query ?? '?cols=80&rows=24'}`,
    protocols,
    {
      headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(o.host ? { host: o.host } : {}) },
      ...(o.origin ? { origin: o.origin } : {}),
    },
  );
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        expect(ws.protocol).toBe('banger-terminal');
        resolve({ status: 101, text: data.toString() });
        ws.close();
      }
    });
    ws.on('error', reject);
  });
}

describe('the terminal WebSocket', () => {
  it('hands out a ticket only to a logged-in page of its own origin', async () => {
    expect((await ticket({ cookie, origin })).status).toBe(401); // no session secret
    expect((await ticket({ authorization, origin })).status).toBe(401); // no cookie
    expect((await ticket({ cookie, authorization })).status).toBe(403); // no Origin
    expect((await ticket({ cookie, authorization, origin: 'http://evil.example' })).status).toBe(403);
    const good = await ticket();
    expect(good.status).toBe(200);
    expect(good.body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('opens with cookie, ticket, Host and Origin; the ticket works once', async () => {
    const t = (await ticket()).body.ticket!;
    const first = await open({ ticket: t, cookie, origin });
    expect(first.status).toBe(101);
    // Accepted: the terminal itself then says there is no such VM, in one line.
    expect(JSON.parse(first.text)).toEqual({ type: 'error', message: expect.stringMatching(/nosuchvm/) });
    expect(JSON.parse(first.text).message).not.toContain('\n');
    const again = await open({ ticket: t, cookie, origin });
    expect(again).toEqual({ status: 401, text: expect.stringMatching(/ticket is missing, used or expired/) });
  });

  it('refuses no cookie, no ticket, an unknown ticket, a foreign Host or Origin, and a bad size', async () => {
    const fresh = async () => (await ticket()).body.ticket!;
    expect((await open({ ticket: await fresh(), origin })).status).toBe(401);
    expect((await open({ cookie: 'banger_web=wrong', ticket: await fresh(), origin })).status).toBe(401);
    expect((await open({ cookie, origin })).status).toBe(401);
    expect((await open({ cookie, origin, ticket: 'A'.repeat(43) })).status).toBe(401);
    expect((await open({ cookie, ticket: await fresh() })).status).toBe(403); // no Origin (not a browser page)
    expect((await open({ cookie, ticket: await fresh(), origin: 'http://evil.example' })).status).toBe(403);
    expect((await open({ cookie, ticket: await fresh(), origin, host: 'evil.example' })).status).toBe(421);
    const badSize = await open({ cookie, ticket: await fresh(), origin, query: '?cols=0&rows=24' });
    expect(badSize).toEqual({
      status: 400,
      text: expect.stringMatching(/cols and rows must be whole numbers/),
    });
  });

  it('does not spend a ticket on a refused upgrade, and keeps it out of the log', async () => {
    const t = await ticket();
    expect((await open({ ticket: t.body.ticket!, cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await open({ ticket: t.body.ticket!, cookie, origin })).status).toBe(101);
    const log = readFileSync(join(sb.env.HOME!, '.local', 'state', 'banger', 'bangerd.log'), 'utf8');
    expect(log).toContain('web UI listening'); // the daemon's log, at its usual level
    expect(log).not.toContain(t.body.ticket!);
    expect(log).not.toContain(authorization.slice('Bearer '.length));
  });
});
