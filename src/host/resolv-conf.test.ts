import { describe, expect, it } from 'vitest';
import { guestReachableNameservers } from './resolv-conf.js';

describe('guestReachableNameservers', () => {
  it('keeps non-loopback IPv4 servers, at most two, without duplicates', () => {
    const text =
      '# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver 10.0.0.2\nnameserver ::1\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nsearch lan\n';
    expect(guestReachableNameservers(text)).toEqual(['10.0.0.2', '1.1.1.1']);
  });
  it('is empty for a stub-only resolv.conf', () => {
    expect(guestReachableNameservers('nameserver 127.0.0.53\n')).toEqual([]);
  });
});
