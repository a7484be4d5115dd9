import { isIPv4 } from 'node:net';
import type { Answer, SoaAnswer } from 'dns-packet';
import type { VmRecordSource } from './records.js';
import { QClass, QType, type Question, Rcode } from './wire.js';

/** The one zone we are authoritative for. */
const ZONE = 'vm';

/** What a VM-name label may look like; anything else cannot be a VM and is NXDOMAIN without a lookup. */
const VM_LABEL = /^[a-z0-9_-]{1,63}$/;

export interface ZoneAnswer {
  rcode: number;
  authoritative: boolean;
  answers: Answer[];
  authorities: Answer[];
}

/** A record source returned something that is not an IPv4 address: a bug upstream, answered SERVFAIL. */
class BadRecordError extends Error {
  constructor(
    readonly vmName: string,
    readonly value: unknown,
  ) {
    super(`record source returned ${JSON.stringify(value)} for "${vmName}", not an IPv4 address`);
    this.name = 'BadRecordError';
  }
}

/**
 * Answers one question against the `vm` zone. Pure apart from the record
 * lookup, which may throw (the caller turns that into SERVFAIL).
 *
 * - `<name>.vm` A/ANY with a VM of that name: the A record.
 * - `<name>.vm` other types: NODATA (NOERROR, no answers) with the SOA.
 * - any other name under `vm` (unknown VM, deeper names, odd bytes): NXDOMAIN with the SOA.
 * - `vm` itself: SOA for SOA/ANY, otherwise NODATA. We publish no NS record.
 * - anything outside the zone, non-IN classes, zone transfers: REFUSED, not authoritative.
 */
export function resolveQuestion(question: Question, records: VmRecordSource, ttlSeconds: number): ZoneAnswer {
  const refused: ZoneAnswer = { rcode: Rcode.REFUSED, authoritative: false, answers: [], authorities: [] };
  const labels = question.labels.map((label) => label.toString('latin1').toLowerCase());
  if (labels.at(-1) !== ZONE) return refused;
  if (question.qclass !== QClass.IN && question.qclass !== QClass.ANY) return refused;
  if (question.qtype === QType.AXFR || question.qtype === QType.IXFR) return refused;

  const soa = soaRecord(ttlSeconds);
  const nodata: ZoneAnswer = { rcode: Rcode.NOERROR, authoritative: true, answers: [], authorities: [soa] };
  const nxdomain: ZoneAnswer = {
    rcode: Rcode.NXDOMAIN,
    authoritative: true,
    answers: [],
    authorities: [soa],
  };

  if (labels.length === 1) {
    const wantsSoa = question.qtype === QType.SOA || question.qtype === QType.ANY;
    return wantsSoa ? { ...nodata, answers: [soa], authorities: [] } : nodata;
  }

  const vmName = labels[0];
  if (labels.length !== 2 || vmName === undefined || !VM_LABEL.test(vmName)) return nxdomain;
  const ipv4: unknown = records.lookup(vmName);
  if (ipv4 === undefined) return nxdomain;
  if (typeof ipv4 !== 'string' || !isIPv4(ipv4)) throw new BadRecordError(vmName, ipv4);

  if (question.qtype !== QType.A && question.qtype !== QType.ANY) return nodata;
  // Owner name in the client's letter case; safe as text because both labels passed VM_LABEL / ZONE.
  const owner = question.labels.map((label) => label.toString('latin1')).join('.');
  return {
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers: [{ type: 'A', name: owner, ttl: ttlSeconds, data: ipv4 }],
    authorities: [],
  };
}

/**
 * The zone's SOA. Its MINIMUM (and TTL) bound negative caching (RFC 2308), so
 * keeping them at the record TTL means a resolver forgets an NXDOMAIN as
 * quickly as it forgets an address.
 */
function soaRecord(ttlSeconds: number): SoaAnswer {
  return {
    type: 'SOA',
    name: ZONE,
    ttl: ttlSeconds,
    data: {
      // The apex itself rather than a made-up host that could collide with a VM name.
      mname: ZONE,
      rname: `hostmaster.${ZONE}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: ttlSeconds,
    },
  };
}
