// banger-agent's request protocol, driven over its serial mux on the host:
// ping, ids, errors, line assembly across and within frames, and the line limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFrames, encodeFrame } from './frames.js';
import { type Agent, type AgentOnMux, agentOnMux, type MuxLink } from './harness.js';

const MALFORMED = '{"ok":false,"error":"malformed request"}';
let mux: AgentOnMux;
let agent: Agent;
let link: MuxLink;
let nextId = 1;
/** A fresh connection to port 52 (each test uses its own ids). */
async function connect(): Promise<number> {
  const id = nextId++;
  expect(await link.open(id)).toBe('O');
  return id;
}

beforeAll(async () => {
  mux = await agentOnMux('banger-agent-');
  ({ agent, link } = mux);
});

afterAll(() => mux?.close());

describe('banger-agent protocol (serial mux)', () => {
  it('answers ping on port 52 with its name, protocol, uptime and load, echoing the id', async () => {
    const id = await connect();
    const pong = await link.request(id, '{"id":1,"op":"ping"}');
    expect(Object.keys(pong)).toEqual(['id', 'ok', 'agent', 'protocol', 'uptime_s', 'load']);
    expect(pong).toMatchObject({ id: 1, ok: true, agent: 'banger-agent', protocol: 1 });
    expect(pong.uptime_s).toBeGreaterThan(0);
    expect(pong.load).toHaveLength(3);
    for (const load of pong.load as unknown[]) expect(load).toBeGreaterThanOrEqual(0);

    expect((await link.request(id, '{"op":"ping","id":"req-é"}')).id).toBe('req-é');
    // A number is echoed exactly as written, a missing id stays missing.
    link.frame('D', id, '{"op":"ping","id":-1.5E+3}\n');
    expect((await link.lines(id, 1))[0]).toMatch(/^\{"id":-1\.5E\+3,"ok":true,/);
    expect('id' in (await link.request(id, '{"op":"ping"}'))).toBe(false);
  });

  it('refuses connections to other ports, and bad port text', async () => {
    for (const port of ['53', '0', '520', ' 52', '52x', '', '99999999999']) {
      expect(await link.open(nextId++, port)).toBe('C');
    }
    // Data for a refused (never opened) connection is ignored.
    link.frame('D', nextId - 1, '{"op":"ping"}\n');
    const id = await connect();
    expect((await link.request(id, '{"op":"ping"}')).ok).toBe(true);
    expect(link.pending(nextId - 2)).toBe(0);
  });

  it('keeps interleaved connections apart', async () => {
    const a = await connect();
    const b = await connect();
    link.frame('D', a, '{"id":"a1","op":');
    link.frame('D', b, '{"id":"b1","op":"ping"}\n{"id":"b2",');
    link.frame('D', a, '"ping"}\n');
    link.frame('D', b, '"op":"nope"}\n');
    expect((await link.response(a)).id).toBe('a1');
    expect(await link.response(b)).toMatchObject({ id: 'b1', ok: true });
    expect(await link.response(b)).toEqual({ id: 'b2', ok: false, error: 'unknown op "nope"' });
    link.frame('C', a);
    expect((await link.request(b, '{"id":"b3","op":"ping"}')).id).toBe('b3');
  });

  it('assembles a request split byte by byte across frames, and answers many in one frame in order', async () => {
    const id = await connect();
    const request = Buffer.from('{"id":"split","op":"ping"}\n');
    link.send(Buffer.concat([...request].map((byte) => encodeFrame('D', id, Buffer.from([byte])))));
    expect((await link.response(id)).id).toBe('split');

    const many = Array.from({ length: 200 }, (_, i) => `{"id":${i},"op":"${i % 2 ? 'ping' : 'x'}"}\n`);
    link.frame('D', id, many.join(''));
    const lines = await link.lines(id, 200);
    expect(lines.map((line) => JSON.parse(line).id)).toEqual(many.map((_, i) => i));
    expect(JSON.parse(lines[1]!).ok).toBe(true);
    expect(JSON.parse(lines[2]!).ok).toBe(false);
  });

  it('answers malformed requests and keeps the connection', async () => {
    const id = await connect();
    const bad = [
      '',
      'nope',
      '{',
      '[]',
      '"ping"',
      '{"op":1}',
      '{"id":1}',
      '{"op":null}',
      '{"op":["ping"]}',
      '{"op":"ping","id":true}',
      '{"op":"ping","id":{}}',
      '{"op":"ping",}',
      '{"op":"ping"} {}',
      '{"op":"ping","op":"ping"}',
      '{"op":"\\ud800"}',
      '{"op":"\\udc00\\ud800"}',
      '{"op":"\\ud83d\\u0041"}',
      '{"op":"\\x"}',
      '{"op":"\\u12G4"}',
      '{"op":"a\tb"}',
      '{"op":"ping","n":01}',
      '{"op":"ping","n":1.}',
      '{"op":"ping","n":-}',
      '{"op":"ping","n":tru}',
      `{"op":"ping","n":${'1'.repeat(65)}}`,
      `{"op":"ping","deep":${'['.repeat(40)}${']'.repeat(40)}}`,
      `{${Array.from({ length: 65 }, (_, i) => `"k${i}":0`).join(',')},"op":"ping"}`,
    ];
    link.frame('D', id, bad.map((line) => `${line}\n`).join(''));
    expect(await link.lines(id, bad.length)).toEqual(bad.map(() => MALFORMED));
    // Raw bytes that are not UTF-8, and a NUL outside a string.
    link.frame(
      'D',
      id,
      Buffer.from([0x7b, 0x22, 0x6f, 0x70, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 10, 0, 10]),
    );
    expect(await link.lines(id, 2)).toEqual([MALFORMED, MALFORMED]);

    // Fields an op does not use may be of any shape; \r before the newline is whitespace.
    const extra =
      '{"argv":["a","\\u0000"],"env":{"A":[1,{"b":null}]},"x":[1,"s"],"f":false,"op":"ping","id":9}\r';
    expect(await link.request(id, extra)).toMatchObject({ id: 9, ok: true });
  });

  it('names an unknown op, escaping whatever it holds', async () => {
    const id = await connect();
    expect(await link.request(id, '{"id":"q","op":"nosuch"}')).toEqual({
      id: 'q',
      ok: false,
      error: 'unknown op "nosuch"',
    });
    const ops = ['a"b\\c/d', 'new\nline\ttab\r\b\f', '\u0000\u0001\u001f\u007f', 'é中😀\u2028', '{"op":"x"}'];
    for (const op of ops) {
      link.frame('D', id, `${JSON.stringify({ op, id: op })}\n`);
      const [line] = await link.lines(id, 1);
      expect([...line!].every((ch) => ch >= ' ')).toBe(true); // control characters all escaped
      expect(JSON.parse(line!)).toEqual({ id: op, ok: false, error: `unknown op "${op}"` });
    }
    // Escaped forms decode to the same text, surrogate pairs included.
    const escaped = await link.request(id, '{"op":"\\u00e9\\ud83d\\ude00\\u0041\\/\\"\\u0000"}');
    expect(escaped.error).toBe('unknown op "é😀A/"\u0000"');
  });

  it('answers a line over 64 KiB with an error and closes only that connection', async () => {
    const [a, b, c] = [await connect(), await connect(), await connect()];
    // Exactly 65536 bytes before the newline is still a request.
    const head = '{"op":"ping","id":"full","pad":"';
    const full = `${head}${'x'.repeat(65536 - head.length - 2)}"}`;
    expect(full).toHaveLength(65536);
    link.send(dataFrames(a, `${full}\n`));
    expect(await link.response(a)).toMatchObject({ id: 'full', ok: true });

    // One byte more, sent before its newline: answered and closed without waiting for it.
    link.send(dataFrames(a, `{"op":"ping","id":1}\n${'y'.repeat(65537)}`));
    expect((await link.response(a)).id).toBe(1);
    expect(await link.lines(a, 1)).toEqual(['{"ok":false,"error":"request line too long"}']);
    await link.closedBy(a);

    // A long line and its newline in one go, then a request the agent must not answer.
    link.send(dataFrames(b, `${'z'.repeat(70000)}\n{"op":"ping"}\n`));
    expect((await link.response(b)).error).toBe('request line too long');
    await link.closedBy(b);

    expect((await link.request(c, '{"op":"ping","id":"c"}')).id).toBe('c');
    expect(link.pending(a) + link.pending(b)).toBe(0);
    // The closed id can be opened again.
    expect(await link.open(a)).toBe('O');
    expect((await link.request(a, '{"op":"ping","id":"again"}')).id).toBe('again');
    expect(link.errors).toEqual([]);
    expect(agent.alive()).toBe(true);
  });
});
