/**
 * Query builders and a deterministic generator of hostile packets, shared by
 * the DNS unit tests (src/host/dns/*.test.ts) and the integration tests.
 */
import { type Answer, encode, type RecordType } from 'dns-packet';

export interface QueryOptions {
  id?: number;
  recursionDesired?: boolean;
  qclass?: 'IN' | 'CH' | 'ANY';
  /** Adds an OPT record; `version` defaults to 0. */
  edns?: { version?: number; dnssecOk?: boolean };
}

/** dns-packet encodes ANY (255) but its types omit it. */
export type QueryType = RecordType | 'ANY';

export function query(name: string, type: QueryType = 'A', options: QueryOptions = {}): Buffer {
  const additionals: Answer[] = [];
  if (options.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: 4096,
      extendedRcode: 0,
      ednsVersion: options.edns.version ?? 0,
      flags: options.edns.dnssecOk ? 0x8000 : 0,
      flag_do: options.edns.dnssecOk ?? false,
      options: [],
    });
  }
  return encode({
    type: 'query',
    id: options.id ?? 0x1234,
    flags: options.recursionDesired === false ? 0 : 0x0100,
    questions: [{ type: type as RecordType, name, class: options.qclass ?? 'IN' }],
    additionals,
  });
}

export interface RawHeader {
  id?: number;
  flags?: number;
  qdcount?: number;
  ancount?: number;
  nscount?: number;
  arcount?: number;
}

/** A header with arbitrary counts followed by arbitrary bytes. */
export function raw(header: RawHeader, body: readonly number[] | Buffer = []): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(header.id ?? 0xbeef, 0);
  head.writeUInt16BE(header.flags ?? 0x0100, 2);
  head.writeUInt16BE(header.qdcount ?? 1, 4);
  head.writeUInt16BE(header.ancount ?? 0, 6);
  head.writeUInt16BE(header.nscount ?? 0, 8);
  head.writeUInt16BE(header.arcount ?? 0, 10);
  return Buffer.concat([head, Buffer.from(body)]);
}

/** `box.vm` A IN in wire form, for hand-built packets. */
export const BOX_VM_QUESTION = [3, 0x62, 0x6f, 0x78, 2, 0x76, 0x6d, 0, 0, 1, 0, 1];

/** Named hostile packets, each a classic way to crash or hang a DNS parser. */
export function malformedCorpus(): Array<[string, Buffer]> {
  const label63 = [63, ...Buffer.alloc(63, 0x61)];
  return [
    ['empty datagram', Buffer.alloc(0)],
    ['11 bytes', Buffer.alloc(11, 0xff)],
    ['header only, QDCOUNT=1', raw({})],
    ['QDCOUNT=65535 with one question', raw({ qdcount: 65535 }, BOX_VM_QUESTION)],
    ['QDCOUNT=0', raw({ qdcount: 0 })],
    ['QDCOUNT=2 with two questions', raw({ qdcount: 2 }, [...BOX_VM_QUESTION, ...BOX_VM_QUESTION])],
    ['pointer to itself in question', raw({}, [0xc0, 12, 0, 1, 0, 1])],
    ['pointer into the header', raw({}, [0xc0, 0, 0, 1, 0, 1])],
    ['two-pointer loop', raw({}, [1, 0x61, 0xc0, 12, 0, 1, 0, 1])],
    ['forward pointer', raw({}, [0xc0, 20, 0, 1, 0, 1, 0, 0, 1, 0x61, 0xc0, 20])],
    ['extended label type 0x40', raw({}, [0x41, 0x61, 0, 0, 1, 0, 1])],
    ['label length past the end', raw({}, [60, 0x61, 0x62])],
    ['name with no terminator', raw({}, [3, 0x62, 0x6f, 0x78])],
    ['question missing type/class', raw({}, [3, 0x62, 0x6f, 0x78, 0])],
    [
      'name of 320 bytes',
      raw({}, [...label63, ...label63, ...label63, ...label63, ...label63, 0, 0, 1, 0, 1]),
    ],
    ['ARCOUNT=65535 with nothing', raw({ arcount: 65535 }, BOX_VM_QUESTION)],
    ['ANCOUNT=65535 with nothing', raw({ ancount: 65535 }, BOX_VM_QUESTION)],
    [
      'OPT rdlength past the end',
      raw({ arcount: 1 }, [...BOX_VM_QUESTION, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0xff, 0xff]),
    ],
    [
      'OPT owned by a pointer loop',
      raw({ arcount: 1 }, [...BOX_VM_QUESTION, 0xc0, 24, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]),
    ],
    [
      'two OPT records',
      raw({ arcount: 2 }, [
        ...BOX_VM_QUESTION,
        ...[0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0],
        ...[0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0],
      ]),
    ],
    ['a response (QR=1)', raw({ flags: 0x8400 }, BOX_VM_QUESTION)],
    ['opcode UPDATE', raw({ flags: 5 << 11 }, BOX_VM_QUESTION)],
  ];
}

/** Small, fast, seedable PRNG (mulberry32) so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` hostile packets: random bytes, truncated and bit-flipped real
 * queries, random header counts, pointer loops at random places, oversized
 * labels and names, plus the named corpus. Deterministic for a given seed.
 */
export function fuzzPackets(count: number, seed: number): Buffer[] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));
  const seeds = [
    query('box.vm'),
    query('BoX.Vm', 'AAAA', { edns: { dnssecOk: true } }),
    query('nope.vm', 'ANY'),
    query('example.com', 'MX', { edns: {} }),
  ];
  const corpus = malformedCorpus().map(([, packet]) => packet);
  const generators: Array<() => Buffer> = [
    () => bytes(int(600)),
    () => {
      const base = seeds[int(seeds.length)] ?? query('box.vm');
      return base.subarray(0, int(base.length));
    },
    () => {
      const copy = Buffer.from(seeds[int(seeds.length)] ?? query('box.vm'));
      for (let i = 0, flips = 1 + int(4); i < flips; i++) copy[int(copy.length)] = int(256);
      return copy;
    },
    () => {
      const copy = Buffer.from(seeds[int(seeds.length)] ?? query('box.vm'));
      for (let off = 4; off < 12; off += 2) if (random() < 0.5) copy.writeUInt16BE(int(65536), off);
      return copy;
    },
    () => {
      const body = bytes(int(40));
      const at = int(body.length + 1);
      const pointer = [0xc0 | int(64), int(256)];
      return raw({ arcount: int(3), qdcount: 1 }, [
        ...body.subarray(0, at),
        ...pointer,
        ...body.subarray(at),
      ]);
    },
    () => {
      const labels: number[] = [];
      for (let i = 0, n = 1 + int(8); i < n; i++) {
        const len = int(64);
        labels.push(len, ...Buffer.alloc(len, 0x61 + int(26)));
      }
      return raw({}, [...labels, 0, 0, 1, 0, 1]);
    },
    () => corpus[int(corpus.length)] ?? Buffer.alloc(0),
  ];
  return Array.from({ length: count }, () => generators[int(generators.length)]?.() ?? Buffer.alloc(0));
}
