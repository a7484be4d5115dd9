import { decode } from 'dns-packet';
import { afterEach, expect, it } from 'vitest';
import { type ChildServer, startChildServer } from './child-server.js';
import { dig, UdpClient } from './client.js';
import { fuzzPackets, query } from './packets.js';

const PACKETS = 10_000;
/** Small enough that a batch always fits the default socket receive buffer, so nothing is lost to the kernel. */
const BATCH = 100;

let server: ChildServer | undefined;
let udp: UdpClient | undefined;

afterEach(async () => {
  await udp?.close();
  if (server?.alive()) await server.stop();
});

it(`survives ${PACKETS.toLocaleString('en')} random and malformed packets and still answers correctly`, async () => {
  // The server runs in its own process: a crash shows as an exit, a stall as an unanswered sentinel.
  server = await startChildServer([['box', '172.16.0.2']]);
  const address = { host: '127.0.0.1', port: server.port };
  udp = await UdpClient.open(address.host, address.port);
  const packets = fuzzPackets(PACKETS, 0x5eed);

  const started = performance.now();
  let sentinels = 0;
  for (let offset = 0; offset < packets.length; offset += BATCH) {
    for (const packet of packets.slice(offset, offset + BATCH)) await udp.send(packet);
    // The server handles a socket's datagrams in order, so once the sentinel is answered
    // the whole batch has been processed.
    const sentinel = await udp.ask(query(`sentinel${sentinels}.vm`, 'A', { id: sentinels }), 2000);
    expect(sentinel.raw.readUInt16BE(2) & 0xf).toBe(3);
    sentinels++;
  }
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round((PACKETS + sentinels) / seconds);
  console.log(
    `dns fuzz: ${PACKETS} packets + ${sentinels} sentinels in ${seconds.toFixed(2)} s (${rate} packets/s)`,
  );
  expect(seconds).toBeLessThan(20);

  expect(server.alive()).toBe(true);
  // Every datagram reached the handler (none lost, none hung) and the hostile ones were counted.
  const stats = await server.stats();
  expect(stats.queries).toBe(PACKETS + sentinels);
  expect(stats.errors).toBeGreaterThan(PACKETS / 4);

  const answer = await udp.ask(query('BOX.vm', 'A', { id: 4242 }));
  expect(decode(answer.raw).answers).toMatchObject([{ type: 'A', data: '172.16.0.2' }]);
  expect((await dig(address, 'box.vm')).answer).toEqual(['box.vm. 5 IN A 172.16.0.2']);
  expect((await dig(address, 'nope.vm')).status).toBe('NXDOMAIN');
  expect((await dig(address, 'example.com')).status).toBe('REFUSED');

  expect(server.alive()).toBe(true);
  expect(await server.stop()).toBe(0);
});
