import type { VmRecordSource } from './records.js';
import { encodeResponse } from './response.js';
import { Flag, type Header, labelsToText, parseHeader, parseQuery, Rcode } from './wire.js';
import { resolveQuestion } from './zone.js';

export interface HandlerOptions {
  records: VmRecordSource;
  ttlSeconds: number;
}

/**
 * What became of one datagram:
 * - `answered`: a normal response (including NXDOMAIN, NODATA and REFUSED).
 * - `malformed`: garbage; dropped or answered FORMERR/NOTIMP.
 * - `failed`: our side went wrong (record source threw or returned junk, or
 *   a bug); answered SERVFAIL when the header allowed it.
 */
type Outcome =
  | { kind: 'answered'; name: string; rcode: number }
  | { kind: 'malformed'; reason: string }
  | { kind: 'failed'; error: unknown; name?: string };

export interface Handled {
  /** Bytes to send back, or undefined to stay silent. */
  response: Buffer | undefined;
  outcome: Outcome;
}

/**
 * Turns one incoming datagram into at most one response. Pure (no I/O) and
 * total: it never throws, whatever the input, so the socket layer cannot be
 * crashed by a packet.
 */
export function handleDatagram(packet: Buffer, options: HandlerOptions): Handled {
  try {
    return handle(packet, options);
  } catch (error) {
    // Unreachable unless there is a bug; still answer if we know whom to answer.
    const header = parseHeader(packet);
    const response = header === undefined ? undefined : headerOnly(header, Rcode.SERVFAIL);
    return { response, outcome: { kind: 'failed', error } };
  }
}

function handle(packet: Buffer, options: HandlerOptions): Handled {
  const parsed = parseQuery(packet);
  switch (parsed.kind) {
    case 'drop':
      return { response: undefined, outcome: { kind: 'malformed', reason: parsed.reason } };
    case 'formerr':
      return {
        response: headerOnly(parsed.header, Rcode.FORMERR),
        outcome: { kind: 'malformed', reason: parsed.reason },
      };
    case 'notimp':
      return {
        response: headerOnly(parsed.header, Rcode.NOTIMP),
        outcome: { kind: 'malformed', reason: parsed.reason },
      };
    case 'query':
      break;
  }

  const { header, question, edns } = parsed.query;
  const name = labelsToText(question.labels);
  const common = {
    id: header.id,
    opcode: header.opcode,
    recursionDesired: (header.flags & Flag.RD) !== 0,
    checkingDisabled: (header.flags & Flag.CD) !== 0,
    questionWire: question.wire,
    ...(edns === undefined ? {} : { edns: { dnssecOk: edns.dnssecOk } }),
  };

  if (edns !== undefined && edns.version !== 0) {
    const response = encodeResponse({ ...common, rcode: Rcode.BADVERS, authoritative: false });
    return { response, outcome: { kind: 'answered', name, rcode: Rcode.BADVERS } };
  }

  try {
    const zone = resolveQuestion(question, options.records, options.ttlSeconds);
    const response = encodeResponse({ ...common, ...zone });
    return { response, outcome: { kind: 'answered', name, rcode: zone.rcode } };
  } catch (error) {
    const response = encodeResponse({ ...common, rcode: Rcode.SERVFAIL, authoritative: false });
    return { response, outcome: { kind: 'failed', error, name } };
  }
}

function headerOnly(header: Header, rcode: number): Buffer {
  return encodeResponse({
    id: header.id,
    opcode: header.opcode,
    rcode,
    authoritative: false,
    recursionDesired: (header.flags & Flag.RD) !== 0,
    checkingDisabled: (header.flags & Flag.CD) !== 0,
  });
}
