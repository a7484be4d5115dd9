import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type DnsLogger, DnsServer, type ListenAddress, VmRecordTable } from '../../src/host/dns/index.js';
import { dig, UdpClient } from './client.js';
import { query } from './packets.js';

const servers: DnsServer[] = [];
const clients: UdpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startServer(
  records: VmRecordTable,
  listen: ListenAddress[] = [{ host: '127.0.0.1', port: 0 }],
) {
  const server = new DnsServer({ records, listen });
  servers.push(server);
  await server.start();
  const address = server.addresses()[0];
  if (address === undefined) throw new Error('server has no address');
  return { server, address };
}

async function client(address: ListenAddress): Promise<UdpClient> {
  const udp = await UdpClient.open(address.host, address.port);
  clients.push(udp);
  return udp;
}

/** True when nothing holds the UDP port any more. */
async function portIsFree(address: ListenAddress): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(address.port, address.host, () => socket.close(() => resolve(true)));
  });
}

describe('DnsServer over UDP on loopback', () => {
  it('answers dig: A for a known VM (any case), authoritative, no recursion', async () => {
    const { address } = await startServer(new VmRecordTable([['box', '172.16.0.2']]));
    expect(address.port).toBeGreaterThan(0);

    const lower = await dig(address, 'box.vm');
    expect(lower.status).toBe('NOERROR');
    expect(lower.flags).toContain('aa');
    expect(lower.flags).not.toContain('ra');
    expect(lower.answer).toEqual(['box.vm. 5 IN A 172.16.0.2']);

    const upper = await dig(address, 'BOX.Vm');
    expect(upper.answer).toEqual(['BOX.Vm. 5 IN A 172.16.0.2']);
  });

  it('answers dig: NXDOMAIN + SOA for unknown .vm names, NODATA + SOA for AAAA, REFUSED outside', async () => {
    const { address } = await startServer(new VmRecordTable([['box', '172.16.0.2']]));
    const soa = 'vm. 5 IN SOA vm. hostmaster.vm. 1 3600 600 86400 5';

    const unknown = await dig(address, 'nope.vm');
    expect(unknown.status).toBe('NXDOMAIN');
    expect(unknown.flags).toContain('aa');
    expect(unknown.answer).toEqual([]);
    expect(unknown.authority).toEqual([soa]);

    const aaaa = await dig(address, 'box.vm', 'AAAA');
    expect(aaaa.status).toBe('NOERROR');
    expect(aaaa.answer).toEqual([]);
    expect(aaaa.authority).toEqual([soa]);

    const outside = await dig(address, 'example.com');
    expect(outside.status).toBe('REFUSED');
    expect(outside.flags).not.toContain('aa');
    expect(outside.flags).not.toContain('ra');
    expect(outside.answer).toEqual([]);
  });

  it('answers raw UDP queries the same way', async () => {
    const { address } = await startServer(new VmRecordTable([['box', '172.16.0.2']]));
    const udp = await client(address);

    const known = await udp.ask(query('bOx.vm', 'A', { id: 1 }));
    expect(known.raw.readUInt16BE(2) & 0xf).toBe(0);
    expect(known.packet.answers).toMatchObject([{ name: 'bOx.vm', type: 'A', data: '172.16.0.2', ttl: 5 }]);

    const unknown = await udp.ask(query('nope.vm', 'A', { id: 2 }));
    expect(unknown.raw.readUInt16BE(2) & 0xf).toBe(3);
    expect(unknown.packet.authorities).toMatchObject([{ type: 'SOA', name: 'vm' }]);

    const outside = await udp.ask(query('example.com', 'A', { id: 3 }));
    expect(outside.raw.readUInt16BE(2) & 0xf).toBe(5);
  });

  it('follows creates, renames and deletes on the very next query', async () => {
    const records = new VmRecordTable();
    const { address } = await startServer(records);
    const udp = await client(address);
    const rcode = async (name: string, id: number) =>
      (await udp.ask(query(name, 'A', { id }))).raw.readUInt16BE(2) & 0xf;

    expect(await rcode('box.vm', 1)).toBe(3);
    records.set('box', '172.16.0.7');
    expect((await udp.ask(query('box.vm', 'A', { id: 2 }))).packet.answers).toMatchObject([
      { data: '172.16.0.7' },
    ]);
    records.rename('box', 'crate');
    expect(await rcode('box.vm', 3)).toBe(3);
    expect(await rcode('crate.vm', 4)).toBe(0);
    records.delete('crate');
    expect(await rcode('crate.vm', 5)).toBe(3);
    expect((await dig(address, 'crate.vm')).status).toBe('NXDOMAIN');
  });

  it('listens on several addresses, can add one while running, and counts queries', async () => {
    const { server } = await startServer(new VmRecordTable([['box', '172.16.0.2']]), [
      { host: '127.0.0.1', port: 0 },
      { host: '127.0.0.2', port: 0 },
    ]);
    const added = await server.addListener({ host: '127.0.0.3', port: 0 });
    expect(await server.addListener(added)).toEqual(added);
    const addresses = server.addresses();
    expect(addresses.map((a) => a.host)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(addresses[2]).toEqual(added);
    for (const address of addresses) {
      expect((await dig(address, 'box.vm')).answer).toEqual(['box.vm. 5 IN A 172.16.0.2']);
    }
    const udp = await client(added);
    await udp.send(Buffer.from('garbage'));
    await udp.ask(query('box.vm'));
    expect(server.stats()).toEqual({ queries: 5, errors: 1 });
  });

  it('close is idempotent, releases every port and forbids a restart', async () => {
    const { server } = await startServer(new VmRecordTable(), [
      { host: '127.0.0.1', port: 0 },
      { host: '127.0.0.2', port: 0 },
    ]);
    const addresses = server.addresses();
    for (const address of addresses) expect(await portIsFree(address)).toBe(false);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    for (const address of addresses) expect(await portIsFree(address)).toBe(true);
    await expect(server.start()).rejects.toMatchObject({ code: 'internal' });
    await expect(server.addListener({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('a failed start names the address, releases what it had bound and can be retried', async () => {
    const { address: taken } = await startServer(new VmRecordTable());
    const server = new DnsServer({
      records: new VmRecordTable(),
      listen: [{ host: '127.0.0.2', port: 0 }, taken],
    });
    servers.push(server);
    const failure = await server.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`127.0.0.1:${taken.port}`),
    });
    expect(server.addresses()).toEqual([]);

    await servers[0]?.close();
    await server.start();
    expect(server.addresses()).toHaveLength(2);
  });

  it('reports an address this host does not have as host_unsupported', async () => {
    // TEST-NET-1: never assigned to a local interface; binding sends nothing.
    const server = new DnsServer({ records: new VmRecordTable(), listen: [{ host: '192.0.2.1', port: 0 }] });
    servers.push(server);
    await expect(server.start()).rejects.toMatchObject({ code: 'host_unsupported' });
  });

  it('logs malformed packets at debug and a failing record source at warn, throttled', async () => {
    const debug: string[] = [];
    const warn: object[] = [];
    const logger: DnsLogger = { debug: (_obj, msg) => debug.push(msg), warn: (obj) => warn.push(obj) };
    const server = new DnsServer({
      records: {
        lookup: () => {
          throw new Error('store closed');
        },
      },
      listen: [{ host: '127.0.0.1', port: 0 }],
      logger,
    });
    servers.push(server);
    await server.start();
    const udp = await client(server.addresses()[0] ?? { host: '127.0.0.1', port: 0 });
    await udp.send(Buffer.alloc(3));
    for (let id = 1; id <= 3; id++) {
      const { raw } = await udp.ask(query('box.vm', 'A', { id }));
      expect(raw.readUInt16BE(2) & 0xf).toBe(2);
    }
    expect(debug).toEqual(['dns: malformed query']);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({
      name: 'box.vm',
      err: expect.objectContaining({ message: 'store closed' }),
    });
    expect(server.stats()).toEqual({ queries: 4, errors: 4 });
  });
});
