import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

/** The kernel's state number for ESTABLISHED in /proc/net/tcp{,6}. */
const ESTABLISHED = '01';

/**
 * One 32-bit word of a /proc/net/tcp address: the kernel prints the
 * network-order bytes as a host-order number, so on a little-endian host
 * "0100007F" is 127.0.0.1.
 */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/** The IPv4 address of an "ADDR:PORT" field: plain IPv4, or IPv4-mapped IPv6 (::ffff:a.b.c.d); else undefined. */
export function ipv4OfProcAddress(field: string, littleEndian = endianness() === 'LE'): string | undefined {
  const hex = field.split(':')[0] ?? '';
  if (hex.length === 8) return wordBytes(hex, littleEndian).join('.');
  if (hex.length !== 32) return undefined;
  const words = [0, 8, 16, 24].map((i) => wordBytes(hex.slice(i, i + 8), littleEndian));
  const prefix = words.slice(0, 3).flat();
  const mapped = prefix.slice(0, 10).every((b) => b === 0) && prefix[10] === 0xff && prefix[11] === 0xff;
  return mapped ? (words[3] ?? []).join('.') : undefined;
}

/** Counts ESTABLISHED rows of /proc/net/tcp-format `text` whose remote address is one of `ips`. */
export function countEstablishedTo(
  text: string,
  ips: ReadonlySet<string>,
  counts = new Map<string, number>(),
  littleEndian = endianness() === 'LE',
): Map<string, number> {
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== ESTABLISHED) continue;
    const remote = ipv4OfProcAddress(fields[2] ?? '', littleEndian);
    if (remote && ips.has(remote)) counts.set(remote, (counts.get(remote) ?? 0) + 1);
  }
  return counts;
}

/**
 * How many established TCP connections this network namespace has with
 * each of `ips` (SSH sessions, a browser on a dev server, a guest talking
 * to a host service). Read from /proc, so it costs no process and sees
 * every client, not only banger's own.
 */
export function establishedConnectionsTo(ips: ReadonlySet<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no IPv6 on this host
    }
    countEstablishedTo(text, ips, counts);
  }
  return counts;
}
