import { type DecodedPacket, decode } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import {
  fuzzPackets,
  malformedCorpus,
  type QueryOptions,
  type QueryType,
  query,
  raw,
} from '../../../test/dns/packets.js';
import { handleDatagram } from './handler.js';
import { type VmRecordSource, VmRecordTable } from './records.js';

const TTL = 5;

function ask(records: VmRecordSource, name: string, type: QueryType = 'A', options?: QueryOptions) {
  const { response, outcome } = handleDatagram(query(name, type, options), { records, ttlSeconds: TTL });
  if (response === undefined) throw new Error('no response');
  return { response, outcome, packet: decode(response) };
}

const rcodeOf = (response: Buffer): number => response.readUInt16BE(2) & 0xf;

function firstAddress(packet: DecodedPacket): unknown {
  const answer = packet.answers?.[0];
  return answer !== undefined && 'data' in answer ? answer.data : undefined;
}

function expectSoaAuthority(packet: DecodedPacket): void {
  expect(packet.authorities).toHaveLength(1);
  expect(packet.authorities?.[0]).toMatchObject({
    type: 'SOA',
    name: 'vm',
    ttl: TTL,
    data: { mname: 'vm', rname: 'hostmaster.vm', minimum: TTL },
  });
}

describe('handleDatagram', () => {
  const records = new VmRecordTable([['box', '172.16.0.2']]);

  it('answers A for a known VM, case-insensitively, echoing the question and its case', () => {
    const { response, packet, outcome } = ask(records, 'BoX.vM', 'A', { id: 777 });
    expect(packet.id).toBe(777);
    expect(packet.type).toBe('response');
    expect(rcodeOf(response)).toBe(0);
    expect(packet.flag_aa).toBe(true);
    expect(packet.flag_ra).toBe(false);
    expect(packet.flag_rd).toBe(true);
    expect(packet.questions).toEqual([{ name: 'BoX.vM', type: 'A', class: 'IN' }]);
    expect(packet.answers).toEqual([
      { name: 'BoX.vM', type: 'A', ttl: TTL, class: 'IN', flush: false, data: '172.16.0.2' },
    ]);
    expect(packet.authorities).toEqual([]);
    expect(outcome).toEqual({ kind: 'answered', name: 'BoX.vM', rcode: 0 });
  });

  it('answers ANY with the A record', () => {
    expect(ask(records, 'box.vm', 'ANY').packet.answers?.[0]).toMatchObject({
      type: 'A',
      data: '172.16.0.2',
    });
  });

  it('copies RD=0 and never sets RA', () => {
    const { packet } = ask(records, 'box.vm', 'A', { recursionDesired: false });
    expect(packet.flag_rd).toBe(false);
    expect(packet.flag_ra).toBe(false);
  });

  it.each(['AAAA', 'MX', 'TXT', 'NS'] as const)(
    'answers %s for a known VM with NODATA and the SOA',
    (type) => {
      const { response, packet } = ask(records, 'box.vm', type);
      expect(rcodeOf(response)).toBe(0);
      expect(packet.flag_aa).toBe(true);
      expect(packet.answers).toEqual([]);
      expectSoaAuthority(packet);
    },
  );

  it.each(['nope.vm', 'deep.box.vm', 'under_score-but-unknown.vm'])(
    'answers NXDOMAIN with the SOA for %s',
    (name) => {
      const { response, packet } = ask(records, name);
      expect(rcodeOf(response)).toBe(3);
      expect(packet.flag_aa).toBe(true);
      expect(packet.answers).toEqual([]);
      expectSoaAuthority(packet);
    },
  );

  it('never consults the record source for labels that cannot be VM names', () => {
    const asked: string[] = [];
    const spy: VmRecordSource = {
      lookup: (name) => {
        asked.push(name);
        return '10.0.0.1';
      },
    };
    const weird = raw({}, [3, 0x61, 0x2e, 0x62, 2, 0x76, 0x6d, 0, 0, 1, 0, 1]); // label "a.b" + vm
    const { response } = handleDatagram(weird, { records: spy, ttlSeconds: TTL });
    expect(response && rcodeOf(response)).toBe(3);
    expect(response?.subarray(12, 12 + 12)).toEqual(weird.subarray(12)); // question echoed byte for byte
    expect(asked).toEqual([]);
  });

  it('answers the zone apex: SOA for SOA queries, NODATA otherwise', () => {
    const soa = ask(records, 'vm', 'SOA').packet;
    expect(soa.answers?.[0]).toMatchObject({ type: 'SOA', name: 'vm' });
    expect(soa.flag_aa).toBe(true);
    const a = ask(records, 'VM', 'A');
    expect(rcodeOf(a.response)).toBe(0);
    expect(a.packet.answers).toEqual([]);
    expectSoaAuthority(a.packet);
  });

  it.each([
    ['example.com', 'A'],
    ['box.vm.example.com', 'A'],
    ['vmx', 'A'],
    ['.', 'NS'],
  ] as const)('refuses %s %s, not authoritative, no recursion', (name, type) => {
    const { response, packet } = ask(records, name, type);
    expect(rcodeOf(response)).toBe(5);
    expect(packet.flag_aa).toBe(false);
    expect(packet.flag_ra).toBe(false);
    expect(packet.answers).toEqual([]);
    expect(packet.authorities).toEqual([]);
  });

  it('refuses other classes and zone transfers', () => {
    expect(rcodeOf(ask(records, 'box.vm', 'A', { qclass: 'CH' }).response)).toBe(5);
    expect(rcodeOf(ask(records, 'vm', 'AXFR').response)).toBe(5);
  });

  it('follows record changes on the very next query', () => {
    const table = new VmRecordTable();
    expect(rcodeOf(ask(table, 'box.vm').response)).toBe(3);
    table.set('box', '172.16.0.9');
    expect(firstAddress(ask(table, 'box.vm').packet)).toBe('172.16.0.9');
    table.rename('box', 'crate');
    expect(rcodeOf(ask(table, 'box.vm').response)).toBe(3);
    expect(firstAddress(ask(table, 'crate.vm').packet)).toBe('172.16.0.9');
    table.delete('crate');
    expect(rcodeOf(ask(table, 'crate.vm').response)).toBe(3);
  });

  it('answers SERVFAIL when the record source throws or returns junk', () => {
    const throwing: VmRecordSource = {
      lookup: () => {
        throw new Error('store is gone');
      },
    };
    const thrown = ask(throwing, 'box.vm');
    expect(rcodeOf(thrown.response)).toBe(2);
    expect(thrown.outcome).toMatchObject({ kind: 'failed', name: 'box.vm' });
    const junk = ask({ lookup: () => 'not-an-ip' }, 'box.vm');
    expect(rcodeOf(junk.response)).toBe(2);
    expect(junk.packet.flag_aa).toBe(false);
  });

  it('echoes EDNS with our payload size and the DO bit; BADVERS for EDNS versions above 0', () => {
    const ok = ask(records, 'box.vm', 'A', { edns: { dnssecOk: true } }).packet;
    expect(ok.additionals).toEqual([
      expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232, ednsVersion: 0, flag_do: true }),
    ]);
    const bad = ask(records, 'box.vm', 'A', { edns: { version: 1 } });
    // BADVERS = 16: 0 in the header, 1 in the OPT's extended rcode.
    expect(rcodeOf(bad.response)).toBe(0);
    expect(bad.packet.answers).toEqual([]);
    expect(bad.packet.additionals?.[0]).toMatchObject({ type: 'OPT', extendedRcode: 1, ednsVersion: 0 });
  });

  it('answers FORMERR with the id and no sections, NOTIMP for other opcodes, nothing for garbage', () => {
    const corpus = new Map(malformedCorpus());
    const formerr = handleDatagram(corpus.get('QDCOUNT=65535 with one question') ?? Buffer.alloc(0), {
      records,
      ttlSeconds: TTL,
    });
    // id, QR|RD|FORMERR, all counts zero.
    expect(formerr.response?.toString('hex')).toBe(`beef8101${'0'.repeat(16)}`);
    expect(formerr.outcome.kind).toBe('malformed');
    const notimp = handleDatagram(corpus.get('opcode UPDATE') ?? Buffer.alloc(0), {
      records,
      ttlSeconds: TTL,
    });
    expect(notimp.response?.readUInt16BE(2)).toBe(0x8000 | (5 << 11) | 4);
    expect(handleDatagram(Buffer.alloc(5), { records, ttlSeconds: TTL }).response).toBeUndefined();
  });

  it('survives 50,000 fuzzed packets: never throws, every response is well-formed and matches the id', () => {
    const packets = fuzzPackets(50_000, 0xdec0de);
    const rcodes = new Map<number, number>();
    const bad: string[] = [];
    for (const packet of packets) {
      const { response } = handleDatagram(packet, { records, ttlSeconds: TTL });
      if (response === undefined) continue;
      if (response.readUInt16BE(0) !== packet.readUInt16BE(0))
        bad.push(`id mismatch: ${packet.toString('hex')}`);
      // QR set, RA clear.
      if ((response.readUInt16BE(2) & 0x8080) !== 0x8000) bad.push(`flags: ${packet.toString('hex')}`);
      try {
        decode(response);
      } catch {
        bad.push(`undecodable response to ${packet.toString('hex')}`);
      }
      const rcode = rcodeOf(response);
      rcodes.set(rcode, (rcodes.get(rcode) ?? 0) + 1);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // The generator must actually reach the interesting paths, or this test proves little.
    for (const rcode of [0, 1, 3, 4, 5]) expect(rcodes.get(rcode) ?? 0, `rcode ${rcode}`).toBeGreaterThan(0);
  });
});
