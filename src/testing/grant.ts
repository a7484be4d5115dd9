import type { NetworkGrant } from '../host/network/grant.js';

/** The grant tests use unless they need another: banger's default bridge and subnet, for uid 1000. */
export const TEST_GRANT: NetworkGrant = {
  uid: 1000,
  bridgeName: 'banger0',
  bridgeIp: '172.16.0.1',
  cidr: '172.16.0.0/24',
  dnsPort: 42069,
};

/** A VM id of the store's form (16 hex digits), distinct per `n`. */
export function testVmId(n: number | string): string {
  const text = typeof n === 'number' ? n.toString(16) : Buffer.from(n).toString('hex');
  return text.padStart(16, '0').slice(-16);
}
