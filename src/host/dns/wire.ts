/**
 * A deliberately tiny, defensive parser for incoming DNS queries: header,
 * the single question, and the EDNS OPT record if present. It never follows
 * compression pointers (a query's question is the first name in the packet,
 * so a pointer there can only be garbage or a loop) and every loop is bounded
 * by the packet length, so hostile input costs O(packet size) and cannot hang.
 *
 * We do not use dns-packet's decoder on untrusted input: it materialises
 * `new Array(qdcount)` and decodes labels as UTF-8 (lossy), and we need the
 * exact question bytes to echo them back.
 */

export const HEADER_LENGTH = 12;
const MAX_NAME_WIRE_LENGTH = 255;

const Opcode = { QUERY: 0 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS) rcode: needs the OPT record to carry its upper bits. */
  BADVERS: 16,
} as const;

export const QType = { A: 1, NS: 2, SOA: 6, AAAA: 28, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
export const QClass = { IN: 1, ANY: 255 } as const;

export const Flag = {
  QR: 0x8000,
  AA: 0x0400,
  TC: 0x0200,
  RD: 0x0100,
  RA: 0x0080,
  CD: 0x0010,
} as const;

/** The EDNS DO bit inside the OPT record's flags (RFC 3225). */
export const EDNS_DO = 0x8000;

export interface Header {
  id: number;
  flags: number;
  opcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface Question {
  /** Raw label bytes, exactly as received (case and any odd bytes preserved). */
  labels: readonly Buffer[];
  qtype: number;
  qclass: number;
  /** The whole question section as received, echoed verbatim in responses. */
  wire: Buffer;
}

interface Edns {
  udpPayloadSize: number;
  version: number;
  dnssecOk: boolean;
}

interface Query {
  header: Header;
  question: Question;
  edns: Edns | undefined;
}

/**
 * - `drop`: not worth answering (shorter than a header, or a response, which
 *   we must never answer lest two servers ping-pong forever).
 * - `formerr` / `notimp`: answerable with just the header echoed.
 */
export type ParseResult =
  | { kind: 'query'; query: Query }
  | { kind: 'drop'; reason: string }
  | { kind: 'formerr'; header: Header; reason: string }
  | { kind: 'notimp'; header: Header; reason: string };

export function parseHeader(buf: Buffer): Header | undefined {
  if (buf.length < HEADER_LENGTH) return undefined;
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    flags,
    opcode: (flags >> 11) & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

class Malformed extends Error {}

export function parseQuery(buf: Buffer): ParseResult {
  const header = parseHeader(buf);
  if (header === undefined) return { kind: 'drop', reason: 'shorter than a DNS header' };
  if ((header.flags & Flag.QR) !== 0) return { kind: 'drop', reason: 'is a response, not a query' };
  if (header.opcode !== Opcode.QUERY) return { kind: 'notimp', header, reason: `opcode ${header.opcode}` };
  if (header.qdcount !== 1) return { kind: 'formerr', header, reason: `QDCOUNT is ${header.qdcount}, not 1` };
  try {
    const { question, end } = readQuestion(buf, HEADER_LENGTH);
    let offset = end;
    for (let i = 0; i < header.ancount + header.nscount; i++) offset = skipRecord(buf, offset).end;
    let edns: Edns | undefined;
    for (let i = 0; i < header.arcount; i++) {
      const record = skipRecord(buf, offset);
      if (record.type === QType.OPT) {
        if (edns !== undefined) throw new Malformed('more than one OPT record');
        if (!record.rootOwner) throw new Malformed('OPT record not owned by the root');
        edns = {
          udpPayloadSize: record.klass,
          version: (record.ttl >>> 16) & 0xff,
          dnssecOk: (record.ttl & EDNS_DO) !== 0,
        };
      }
      offset = record.end;
    }
    return { kind: 'query', query: { header, question, edns } };
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'formerr', header, reason: err.message };
    throw err;
  }
}

function readQuestion(buf: Buffer, start: number): { question: Question; end: number } {
  const labels: Buffer[] = [];
  let offset = start;
  for (;;) {
    const len = byteAt(buf, offset, 'question name');
    offset += 1;
    if (len === 0) break;
    // 0b11 is a compression pointer, 0b01/0b10 are obsolete extended label types.
    if ((len & 0xc0) !== 0) throw new Malformed('compression pointer or extended label in question name');
    if (offset + len > buf.length) throw new Malformed('question name truncated');
    labels.push(buf.subarray(offset, offset + len));
    offset += len;
    // +1 for the terminating zero byte still to come.
    if (offset - start + 1 > MAX_NAME_WIRE_LENGTH) throw new Malformed('question name longer than 255 bytes');
  }
  if (offset + 4 > buf.length) throw new Malformed('question type/class truncated');
  const question: Question = {
    labels,
    qtype: buf.readUInt16BE(offset),
    qclass: buf.readUInt16BE(offset + 2),
    wire: buf.subarray(start, offset + 4),
  };
  return { question, end: offset + 4 };
}

interface SkippedRecord {
  rootOwner: boolean;
  type: number;
  klass: number;
  ttl: number;
  end: number;
}

/** Steps over one resource record without following pointers (a pointer just ends the name). */
function skipRecord(buf: Buffer, start: number): SkippedRecord {
  let offset = start;
  for (;;) {
    const len = byteAt(buf, offset, 'record owner name');
    if (len === 0) {
      offset += 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      offset += 2;
      break;
    }
    if ((len & 0xc0) !== 0) throw new Malformed('extended label type in record owner name');
    offset += 1 + len;
    if (offset - start + 1 > MAX_NAME_WIRE_LENGTH)
      throw new Malformed('record owner name longer than 255 bytes');
  }
  if (offset + 10 > buf.length) throw new Malformed('record fixed fields truncated');
  const rdlength = buf.readUInt16BE(offset + 8);
  const end = offset + 10 + rdlength;
  if (end > buf.length) throw new Malformed('record data truncated');
  return {
    rootOwner: offset === start + 1,
    type: buf.readUInt16BE(offset),
    klass: buf.readUInt16BE(offset + 2),
    ttl: buf.readUInt32BE(offset + 4),
    end,
  };
}

function byteAt(buf: Buffer, offset: number, what: string): number {
  const value = buf[offset];
  if (value === undefined) throw new Malformed(`${what} truncated`);
  return value;
}

/** Presentation form for logs: printable ASCII kept, everything else `\DDD`-escaped. */
export function labelsToText(labels: readonly Buffer[]): string {
  if (labels.length === 0) return '.';
  return labels
    .map((label) =>
      Array.from(label, (b) =>
        b > 0x20 && b < 0x7f && b !== 0x2e && b !== 0x5c
          ? String.fromCharCode(b)
          : `\\${b.toString().padStart(3, '0')}`,
      ).join(''),
    )
    .join('.');
}
