// banger-agent as a process: its command line, and its serial channel surviving
// protocol errors, a host that goes away, and random input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, MAX_PAYLOAD } from './frames.js';
import { AGENT, type Agent, type MuxLink, MuxServer, startAgent } from './harness.js';

let dir: string;
let agent: Agent | undefined;
let servers: MuxServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'banger-agent-'));
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  for (const server of servers) await server.close();
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<MuxServer> {
  const server = await MuxServer.listen(join(dir, 'serial.sock'));
  servers.push(server);
  return server;
}

async function expectPing(link: MuxLink, id: number): Promise<void> {
  expect(await link.open(id)).toBe('O');
  expect(await link.request(id, `{"id":${id},"op":"ping"}`)).toMatchObject({ id, ok: true });
}

describe('banger-agent process and serial channel', () => {
  it('is a static executable with --version, --help, and a usage error for bad arguments', () => {
    expect(statSync(AGENT).mode & 0o777).toBe(0o755);
    const run = (...args: string[]) => spawnSync(AGENT, args, { encoding: 'utf8', timeout: 10_000 });
    expect(run('--version')).toMatchObject({ status: 0, stdout: 'banger-agent 1\n' });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: banger-agent .*--vsock-port N.*--serial PATH/);
    for (const args of [
      ['--bogus'],
      ['--vsock-port'],
      ['--vsock-port', '0'],
      ['--vsock-port', 'x'],
      ['--serial'],
      ['--root'],
    ]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^banger-agent: bad argument/);
    }
    // Static: no program interpreter (PT_INTERP, type 3) among the ELF program headers.
    const elf = readFileSync(AGENT);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    const [phoff, phentsize, phnum] = [
      Number(elf.readBigUInt64LE(0x20)),
      elf.readUInt16LE(0x36),
      elf.readUInt16LE(0x38),
    ];
    const types = Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
    expect(types).toContain(1); // PT_LOAD: the headers were read right
    expect(types).not.toContain(3);
  });

  it('without flags, listens on vsock (quietly watching for the virtio-serial port too), or uses the port alone when vsock is unusable', async () => {
    const port = String(40_000 + (process.pid % 20_000));
    const fallback =
      /vsock unavailable \(.+\); using the virtio-serial port\nbanger-agent: cannot open serial channel virtio-serial port banger\.vsock: .+; retrying\n$/;
    agent = startAgent(['--vsock-port', port]);
    await agent.logged(/listening|retrying/);
    // Which one depends on the host: does it have vsock (a device, vhost or loopback)?
    expect(agent.stderr()).toMatch(
      new RegExp(
        `^banger-agent: (listening on vsock port ${port}, and on the virtio-serial port if one appears\n$|${fallback.source})`,
      ),
    );
    // A second agent on the same port cannot listen there (or there is no vsock at all): it falls back.
    const second = startAgent(['--vsock-port', port]);
    try {
      await second.logged(/listening|retrying/);
      expect(second.stderr()).toMatch(new RegExp(`^banger-agent: ${fallback.source}`));
      expect(agent.alive() && second.alive()).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('drops the channel on a bad frame type or length, and reconnects', async () => {
    const server = await serve();
    agent = startAgent(['--serial', server.path]);
    const first = await server.link(0);
    await expectPing(first, 1);
    first.send(encodeFrame('X', 1, 'hello'));
    await first.end();
    const second = await server.link(1);
    // Connections of the dropped channel are gone: the old id is unknown there.
    second.frame('D', 1, '{"op":"ping"}\n');
    await expectPing(second, 2);
    expect(second.pending(1)).toBe(0);

    const header = encodeFrame('D', 3, '');
    header.writeUInt32BE(MAX_PAYLOAD + 1, 5);
    second.send(header);
    await second.end();
    await expectPing(await server.link(2), 3);
    expect(agent.stderr()).toMatch(/protocol error: frame type 0x58/);
    expect(agent.stderr()).toMatch(/protocol error: frame type 0x44, length 65537/);
  });

  it('survives the host going away, and connects again when it comes back', async () => {
    let server = await serve();
    agent = startAgent(['--serial', server.path]);
    await expectPing(await server.link(0), 1);
    await server.close();
    servers = [];
    await new Promise((resolve) => setTimeout(resolve, 700)); // several reopen attempts fail
    expect(agent.alive()).toBe(true);
    server = await serve();
    await expectPing(await server.link(0), 2);
    expect(agent.stderr()).toMatch(/closed by the other end; reopening/);
    expect(agent.stderr().match(/cannot open serial channel/g)).toHaveLength(1); // said once, not per attempt
  });

  it('with --root, runs inside that directory (as after an initramfs switch_root), /proc or not', async () => {
    const server = await serve();
    // The socket is at <dir>/serial.sock: the agent finds it as /serial.sock only from inside dir.
    agent = startAgent(['--root', dir, '--serial', '/serial.sock']);
    const link = await server.link(0);
    expect(await link.open(1)).toBe('O');
    // No /proc in there: uptime and load come from sysinfo(2), uptime in whole seconds.
    const pong = await link.request(1, '{"op":"ping"}');
    expect(pong.uptime_s).toBeGreaterThan(0);
    expect(Number.isInteger(pong.uptime_s)).toBe(true);
    expect(pong.load).toHaveLength(3);
    expect(agent.stderr()).toBe('banger-agent: using serial channel /serial.sock\n');
  });

  it('with --detach, returns only once inside --root and serves from a background child', async () => {
    const server = await serve();
    // An init that goes on to switch_root the moment this returns must find the agent already in its root.
    const run = spawnSync(AGENT, ['--root', dir, '--serial', '/serial.sock', '--detach'], {
      timeout: 10_000,
    });
    try {
      expect(run.status).toBe(0);
      await expectPing(await server.link(0), 1);
    } finally {
      spawnSync('pkill', ['-f', `banger-agent --root ${dir} `]);
    }
  });

  it('still answers ping after seconds of random frames and lines', async () => {
    const server = await serve();
    agent = startAgent(['--serial', server.path]);
    await server.link(0);
    const seed = Date.now() >>> 0;
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const pieces = [
      '{',
      '}',
      '"op"',
      ':',
      '"ping"',
      '"id"',
      '1',
      ',',
      '[',
      ']',
      '"',
      '\\',
      '\\u',
      'd83d',
      '\n',
      'é',
      '\0',
    ];
    const line = () => Array.from({ length: Math.floor(random() * 40) }, () => pick(pieces)).join('');
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const until = Date.now() + 4000;
    let sent = 0;
    while (Date.now() < until) {
      const link = server.links.at(-1)!;
      const id = Math.floor(random() * 8);
      const roll = random();
      if (roll < 0.3) link.frame('O', id, random() < 0.7 ? '52' : bytes(Math.floor(random() * 12)));
      else if (roll < 0.45) link.frame('D', id, `{"id":${sent},"op":"ping"}\n`);
      else if (roll < 0.8) link.frame('D', id, random() < 0.7 ? line() : bytes(Math.floor(random() * 300)));
      else if (roll < 0.995) link.frame('C', id);
      else {
        // Rarely, what breaks the channel; then give the agent time to reopen it.
        if (random() < 0.5) link.send(encodeFrame(pick(['X', 0, 255, 'o']), id, bytes(4)));
        else link.send(bytes(Math.floor(random() * 40)));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (++sent % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(agent.alive(), `seed ${seed}`).toBe(true);
    // Garbage may have left the latest channel mid-frame: end it, as a restarted host would.
    const last = server.links.length;
    server.links.at(-1)!.socket.destroy();
    const link = await server.link(last);
    await expectPing(link, 1000);
    for (const old of server.links) expect(old.errors, `seed ${seed}`).toEqual([]);
    // The run did reach the agent: it answered opens and requests, and reconnected on bad frames.
    const answered = server.links.flatMap((l) => l.frames);
    expect(answered.filter((f) => f.type === 'O').length, `seed ${seed}`).toBeGreaterThan(10);
    expect(answered.filter((f) => f.type === 'D').length, `seed ${seed}`).toBeGreaterThan(10);
    expect(server.links.length, `seed ${seed}`).toBeGreaterThan(3);
    const lines = server.links.flatMap((l) => l.unreadLines());
    for (const text of lines) expect(typeof JSON.parse(text).ok, `seed ${seed}: ${text}`).toBe('boolean');
    expect(lines.filter((text) => JSON.parse(text).agent === 'banger-agent').length).toBeGreaterThan(10);
  });
});

/** A small seeded PRNG, so a failing fuzz run can be told by its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
