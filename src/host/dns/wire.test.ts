import { describe, expect, it } from 'vitest';
import { BOX_VM_QUESTION, malformedCorpus, query, raw } from '../../../test/dns/packets.js';
import { labelsToText, parseQuery, QType } from './wire.js';

function parsedQuery(packet: Buffer) {
  const result = parseQuery(packet);
  if (result.kind !== 'query') throw new Error(`expected a query, got ${result.kind}`);
  return result.query;
}

describe('parseQuery', () => {
  it('reads header, question bytes and letter case exactly', () => {
    const packet = query('BoX.Vm', 'AAAA', { id: 4242 });
    const q = parsedQuery(packet);
    expect(q.header.id).toBe(4242);
    expect(q.question.labels.map((l) => l.toString())).toEqual(['BoX', 'Vm']);
    expect(q.question.qtype).toBe(QType.AAAA);
    expect(q.question.qclass).toBe(1);
    expect(q.question.wire).toEqual(packet.subarray(12));
    expect(q.edns).toBeUndefined();
  });

  it('reads the EDNS version and DO bit', () => {
    expect(parsedQuery(query('box.vm', 'A', { edns: {} })).edns).toEqual({
      udpPayloadSize: 4096,
      version: 0,
      dnssecOk: false,
    });
    const edns = parsedQuery(query('box.vm', 'A', { edns: { version: 1, dnssecOk: true } })).edns;
    expect(edns).toMatchObject({ version: 1, dnssecOk: true });
  });

  it('accepts the root name and a 255-byte name, rejects 256', () => {
    expect(parsedQuery(raw({}, [0, 0, 1, 0, 1])).question.labels).toEqual([]);
    // 3 labels of 63 + one of 61: 4 + 63*3 + 61 + 1 terminator = 255 bytes.
    const label = (n: number) => [n, ...Buffer.alloc(n, 0x61)];
    const name255 = [...label(63), ...label(63), ...label(63), ...label(61), 0];
    expect(name255.length).toBe(255);
    expect(parseQuery(raw({}, [...name255, 0, 1, 0, 1])).kind).toBe('query');
    const name256 = [...label(63), ...label(63), ...label(63), ...label(62), 0];
    expect(parseQuery(raw({}, [...name256, 0, 1, 0, 1]))).toMatchObject({ kind: 'formerr' });
  });

  it('steps over answer/authority records and pointer-owned additionals without following pointers', () => {
    const answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1];
    const packet = raw({ ancount: 1, arcount: 1 }, [
      ...BOX_VM_QUESTION,
      ...answer,
      0,
      0,
      41,
      2,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    expect(parsedQuery(packet).edns?.udpPayloadSize).toBe(512);
  });

  it.each([
    ['empty datagram', 'drop'],
    ['11 bytes', 'drop'],
    ['a response (QR=1)', 'drop'],
    ['opcode UPDATE', 'notimp'],
    ['header only, QDCOUNT=1', 'formerr'],
    ['QDCOUNT=65535 with one question', 'formerr'],
    ['QDCOUNT=0', 'formerr'],
    ['QDCOUNT=2 with two questions', 'formerr'],
    ['pointer to itself in question', 'formerr'],
    ['pointer into the header', 'formerr'],
    ['two-pointer loop', 'formerr'],
    ['forward pointer', 'formerr'],
    ['extended label type 0x40', 'formerr'],
    ['label length past the end', 'formerr'],
    ['name with no terminator', 'formerr'],
    ['question missing type/class', 'formerr'],
    ['name of 320 bytes', 'formerr'],
    ['ARCOUNT=65535 with nothing', 'formerr'],
    ['ANCOUNT=65535 with nothing', 'formerr'],
    ['OPT rdlength past the end', 'formerr'],
    ['OPT owned by a pointer loop', 'formerr'],
    ['two OPT records', 'formerr'],
  ])('%s → %s', (name, kind) => {
    const packet = new Map(malformedCorpus()).get(name);
    if (packet === undefined) throw new Error(`no corpus entry ${name}`);
    expect(parseQuery(packet).kind).toBe(kind);
  });

  it('every truncation of a real query is dropped or FORMERR, never a query or a throw', () => {
    const packet = query('box.vm', 'A', { edns: { dnssecOk: true } });
    for (let length = 0; length < packet.length; length++) {
      const kind = parseQuery(packet.subarray(0, length)).kind;
      expect(length < 12 ? kind === 'drop' : kind === 'formerr', `length ${length}: ${kind}`).toBe(true);
    }
    expect(parseQuery(packet).kind).toBe('query');
  });
});

describe('labelsToText', () => {
  it('escapes dots, backslashes and non-printable bytes', () => {
    expect(labelsToText([Buffer.from('a.b'), Buffer.from([0, 0x5c, 0xff]), Buffer.from('vm')])).toBe(
      'a\\046b.\\000\\092\\255.vm',
    );
    expect(labelsToText([])).toBe('.');
  });
});
