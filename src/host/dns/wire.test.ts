import { describe, expect, it } from 'vitest';
import { BOX_VM_QUESTION, malformedCorpus, query, raw } from '../../../test/dns/packets.js';
import { labelsToText, parseHeader, parseQuery, QType } from './wire.js';

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

describe('parseHeader', () => {
  it('reads every field, and the opcode from bits 11-14 of the flags', () => {
    const packet = raw({ id: 0xfedc, flags: 0x7fff, qdcount: 1, ancount: 2, nscount: 3, arcount: 4 });
    expect(parseHeader(packet)).toEqual({
      id: 0xfedc,
      flags: 0x7fff,
      opcode: 15,
      qdcount: 1,
      ancount: 2,
      nscount: 3,
      arcount: 4,
    });
    expect(parseHeader(packet.subarray(0, 11))).toBeUndefined();
  });
});

describe('parseQuery reasons and record walking', () => {
  /** An OPT record owned by the root: class = UDP payload size, TTL = extended rcode, version, flags. */
  const opt = (payload: number, ttl: number) => [
    0,
    0,
    41,
    payload >> 8,
    payload & 0xff,
    ttl >>> 24,
    (ttl >>> 16) & 0xff,
    (ttl >>> 8) & 0xff,
    ttl & 0xff,
    0,
    0,
  ];
  /** An A record for `box.vm` (a pointer to the question's name). */
  const answer = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0, 0, 1];

  it('says why it drops, refuses or rejects', () => {
    expect(parseQuery(Buffer.alloc(11))).toEqual({ kind: 'drop', reason: 'shorter than a DNS header' });
    expect(parseQuery(raw({ flags: 0x8000 }, BOX_VM_QUESTION))).toEqual({
      kind: 'drop',
      reason: 'is a response, not a query',
    });
    expect(parseQuery(raw({ flags: 2 << 11 }, BOX_VM_QUESTION))).toMatchObject({
      kind: 'notimp',
      reason: 'opcode 2',
    });
    expect(parseQuery(raw({ qdcount: 0 }))).toMatchObject({ kind: 'formerr', reason: 'QDCOUNT is 0, not 1' });
    const reasons: [number[], string][] = [
      [[], 'question name truncated'],
      [[3, 0x62], 'question name truncated'],
      [[0x80, 0], 'compression pointer or extended label in question name'],
      [[0, 0, 1, 0], 'question type/class truncated'],
    ];
    for (const [body, reason] of reasons) {
      expect(parseQuery(raw({}, body)), reason).toMatchObject({ kind: 'formerr', reason });
    }
  });

  it('a 12-byte header with QDCOUNT=1 is a FORMERR with the header echoed', () => {
    const packet = raw({ id: 7 });
    expect(parseQuery(packet)).toMatchObject({ kind: 'formerr', header: { id: 7, qdcount: 1 } });
  });

  it('steps over authority records too before reading the OPT record', () => {
    const packet = raw({ ancount: 1, nscount: 2, arcount: 1 }, [
      ...BOX_VM_QUESTION,
      ...answer,
      ...answer,
      ...answer,
      ...opt(1232, 0),
    ]);
    expect(parsedQuery(packet).edns).toEqual({ udpPayloadSize: 1232, version: 0, dnssecOk: false });
    // One authority record fewer than announced: the OPT record is read as the third and the walk runs out.
    const short = raw({ ancount: 1, nscount: 2, arcount: 1 }, [
      ...BOX_VM_QUESTION,
      ...answer,
      ...answer,
      ...opt(1232, 0),
    ]);
    expect(parseQuery(short)).toMatchObject({ kind: 'formerr', reason: 'record owner name truncated' });
  });

  it('reads the EDNS version from its own byte and DO from the flags, ignoring the extended rcode', () => {
    const edns = (ttl: number) =>
      parsedQuery(raw({ arcount: 1 }, [...BOX_VM_QUESTION, ...opt(512, ttl)])).edns;
    expect(edns(0xff_00_7fff)).toEqual({ udpPayloadSize: 512, version: 0, dnssecOk: false });
    expect(edns(0x00_ff_8000)).toEqual({ udpPayloadSize: 512, version: 255, dnssecOk: true });
    expect(edns(0x00_01_0000)).toEqual({ udpPayloadSize: 512, version: 1, dnssecOk: false });
  });

  it('ignores additional records that are not OPT, and reads OPT after them', () => {
    const packet = raw({ arcount: 2 }, [...BOX_VM_QUESTION, ...answer, ...opt(700, 0)]);
    expect(parsedQuery(packet).edns?.udpPayloadSize).toBe(700);
    expect(parsedQuery(raw({ arcount: 1 }, [...BOX_VM_QUESTION, ...answer])).edns).toBeUndefined();
  });

  it('refuses an OPT record owned by a name, and hostile owner names of other records', () => {
    const labelled = [1, 0x61, ...opt(512, 0)];
    expect(parseQuery(raw({ arcount: 1 }, [...BOX_VM_QUESTION, ...labelled]))).toMatchObject({
      kind: 'formerr',
      reason: 'OPT record not owned by the root',
    });
    expect(
      parseQuery(raw({ ancount: 1 }, [...BOX_VM_QUESTION, 0x40, 0x61, ...answer.slice(2)])),
    ).toMatchObject({
      kind: 'formerr',
      reason: 'extended label type in record owner name',
    });
    const label63 = [63, ...Buffer.alloc(63, 0x61)];
    // 4 labels of 63: 256 bytes before the terminator.
    const long = [...label63, ...label63, ...label63, ...label63, 0, ...answer.slice(2)];
    expect(parseQuery(raw({ ancount: 1 }, [...BOX_VM_QUESTION, ...long]))).toMatchObject({
      kind: 'formerr',
      reason: 'record owner name longer than 255 bytes',
    });
    // 255 bytes with the terminator is the longest a name may be.
    const longest = [
      ...label63,
      ...label63,
      ...label63,
      61,
      ...Buffer.alloc(61, 0x61),
      0,
      ...answer.slice(2),
    ];
    expect(parseQuery(raw({ ancount: 1 }, [...BOX_VM_QUESTION, ...longest])).kind).toBe('query');
  });

  it('names the field a record is truncated in, and accepts records ending exactly at the end', () => {
    const fixed = [...BOX_VM_QUESTION, ...answer.slice(0, 11)];
    expect(parseQuery(raw({ ancount: 1 }, fixed))).toMatchObject({
      kind: 'formerr',
      reason: 'record fixed fields truncated',
    });
    const data = [...BOX_VM_QUESTION, ...answer.slice(0, 15)];
    expect(parseQuery(raw({ ancount: 1 }, data))).toMatchObject({
      kind: 'formerr',
      reason: 'record data truncated',
    });
    expect(parseQuery(raw({ ancount: 1 }, [...BOX_VM_QUESTION, ...answer])).kind).toBe('query');
  });

  it('keeps the question bytes exactly, up to its class and no further', () => {
    const packet = raw({ arcount: 1 }, [...BOX_VM_QUESTION, ...opt(512, 0)]);
    const q = parsedQuery(packet).question;
    expect([...q.wire]).toEqual(BOX_VM_QUESTION);
    expect(q.labels.map((l) => l.toString())).toEqual(['box', 'vm']);
    expect([q.qtype, q.qclass]).toEqual([1, 1]);
  });
});

describe('labelsToText boundaries', () => {
  it('keeps exactly the printable ASCII range 0x21-0x7e, dots and backslashes escaped', () => {
    expect(labelsToText([Buffer.from([0x20, 0x21, 0x7e, 0x7f])])).toBe('\\032!~\\127');
    expect(labelsToText([Buffer.from([0x2d, 0x2e, 0x2f, 0x5b, 0x5c, 0x5d])])).toBe('-\\046/[\\092]');
    expect(labelsToText([Buffer.from([9]), Buffer.from('a')])).toBe('\\009.a');
  });
});
