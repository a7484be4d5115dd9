import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { countEstablishedTo, establishedConnectionsTo, ipv4OfProcAddress } from './tcp-connections.js';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

describe('ipv4OfProcAddress', () => {
  it('reads the kernel byte order of either endianness', () => {
    expect(ipv4OfProcAddress('0200A8C0:0016', true)).toBe('192.168.0.2');
    expect(ipv4OfProcAddress('C0A80002:0016', false)).toBe('192.168.0.2');
  });

  it('reads IPv4-mapped IPv6 and nothing else of IPv6', () => {
    expect(ipv4OfProcAddress('0000000000000000FFFF00000500A8C0:0016', true)).toBe('192.168.0.5');
    expect(ipv4OfProcAddress('00000000000000000000FFFFC0A80005:0016', false)).toBe('192.168.0.5');
    expect(ipv4OfProcAddress('00000000000000000000000001000000:0016', true)).toBeUndefined(); // ::1
    expect(ipv4OfProcAddress('0000000000000000FFFF00010500A8C0:0016', true)).toBeUndefined();
    expect(ipv4OfProcAddress('0080FE00000000000000000001000000:0016', true)).toBeUndefined();
    expect(ipv4OfProcAddress('garbage')).toBeUndefined();
  });
});

describe('countEstablishedTo', () => {
  it('counts only established rows whose remote end is asked for', () => {
    const text = [
      HEADER,
      '   0: 0100A8C0:8A3C 0200A8C0:0016 01 00000000:00000000 00:00000000 00000000 0 0 1 1',
      '   1: 0100A8C0:8A3D 0200A8C0:0BB8 01 00000000:00000000 00:00000000 00000000 0 0 2 1',
      '   2: 0100A8C0:8A3E 0200A8C0:0016 06 00000000:00000000 00:00000000 00000000 0 0 3 1', // TIME_WAIT
      '   3: 0200A8C0:0016 0100A8C0:8A3F 01 00000000:00000000 00:00000000 00000000 0 0 4 1', // local end only
      '   4: 0100A8C0:8A40 0300A8C0:0016 01 00000000:00000000 00:00000000 00000000 0 0 5 1',
      '',
    ].join('\n');
    const counts = countEstablishedTo(text, new Set(['192.168.0.2', '192.168.0.9']), new Map(), true);
    expect([...counts]).toEqual([['192.168.0.2', 2]]);
  });
});

describe('establishedConnectionsTo', () => {
  it('sees a real connection in this namespace while it is open, and not after', async () => {
    const server = createServer();
    const accepted: Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    // An address of 127/8 nothing else uses, so other processes' connections cannot change the count.
    const ip = `127.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}.7`;
    server.listen(0, ip);
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const only = new Set([ip]);
    expect(establishedConnectionsTo(only).get(ip)).toBeUndefined();
    const client = connect({ port, host: ip, localAddress: ip });
    await once(client, 'connect');
    // Both ends of this loopback connection have `ip` as their remote address.
    expect(establishedConnectionsTo(only).get(ip)).toBe(2);
    client.destroy();
    for (const s of accepted) s.destroy();
    server.close();
    await once(server, 'close');
    expect(establishedConnectionsTo(only).get(ip)).toBeUndefined();
  });
});
