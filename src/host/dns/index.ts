/**
 * The `.vm` DNS server the daemon runs. See docs/dns-routing.md for how the
 * host's resolver is pointed at it.
 */
export { type Handled, type HandlerOptions, handleDatagram, type Outcome } from './handler.js';
export {
  DEFAULT_DNS_LISTEN,
  DEFAULT_DNS_PORT,
  formatListenAddress,
  type ListenAddress,
  parseListenAddress,
} from './listen-address.js';
export { type VmRecordSource, VmRecordTable } from './records.js';
export {
  DEFAULT_DNS_TTL_SECONDS,
  type DnsLogger,
  DnsServer,
  type DnsServerOptions,
  type DnsStats,
} from './server.js';
export { ZONE } from './zone.js';
