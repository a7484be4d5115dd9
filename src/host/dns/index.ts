/**
 * The `.vm` DNS server the daemon runs. See docs/dns-routing.md for how the
 * host's resolver is pointed at it.
 */
export { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.js';
export { VmRecordTable } from './records.js';
export { type DnsLogger, DnsServer, type DnsStats } from './server.js';
