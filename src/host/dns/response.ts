import { type Answer, encode } from 'dns-packet';
import { EDNS_DO, Flag, HEADER_LENGTH } from './wire.js';

/** What we advertise in our OPT record: the DNS Flag Day 2020 value, safe on any path. */
const EDNS_UDP_PAYLOAD_SIZE = 1232;

export interface ResponseSpec {
  id: number;
  opcode: number;
  /** Full rcode; values above 15 need `edns` (the upper bits travel in the OPT record). */
  rcode: number;
  authoritative: boolean;
  recursionDesired: boolean;
  checkingDisabled: boolean;
  /** The query's question section, echoed byte for byte; omitted for header-only errors. */
  questionWire?: Buffer;
  answers?: Answer[];
  authorities?: Answer[];
  /** Present when the query carried EDNS: we then answer with an OPT record too. */
  edns?: { dnssecOk: boolean };
}

/**
 * Builds a response. The header is written by hand so the rcode, AA, RD and
 * CD bits are exactly what we mean (dns-packet only encodes what is OR'd into
 * `flags`; there is no separate rcode field on encode) and RA is always 0:
 * we never recurse. The question is copied from the query rather than
 * re-encoded so odd bytes and the client's letter case survive (clients
 * using 0x20 randomisation compare it). Records go through dns-packet, with
 * its 12-byte header stripped.
 */
export function encodeResponse(spec: ResponseSpec): Buffer {
  const answers = spec.answers ?? [];
  const authorities = spec.authorities ?? [];
  const additionals: Answer[] = [];
  if (spec.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE,
      extendedRcode: (spec.rcode >> 4) & 0xff,
      ednsVersion: 0,
      // RFC 3225: the DO bit of the query is copied into the response.
      flags: spec.edns.dnssecOk ? EDNS_DO : 0,
      flag_do: spec.edns.dnssecOk,
      options: [],
    });
  }
  const records = encode({ answers, authorities, additionals }).subarray(HEADER_LENGTH);

  const header = Buffer.alloc(HEADER_LENGTH);
  const flags =
    Flag.QR |
    ((spec.opcode & 0xf) << 11) |
    (spec.authoritative ? Flag.AA : 0) |
    (spec.recursionDesired ? Flag.RD : 0) |
    (spec.checkingDisabled ? Flag.CD : 0) |
    (spec.rcode & 0xf);
  header.writeUInt16BE(spec.id, 0);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(spec.questionWire === undefined ? 0 : 1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(additionals.length, 10);

  return Buffer.concat([header, spec.questionWire ?? Buffer.alloc(0), records]);
}
