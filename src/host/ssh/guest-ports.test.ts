import { describe, expect, it } from 'vitest';
import { guestPortAddress, parseListeningSockets } from './guest-ports.js';

// Real `ss -H -tulpn` lines (Debian bookworm, iproute2 6.1), columns as ss aligns them.
const SAMPLE = [
  'udp   UNCONN 0      0         127.0.0.53%lo:53         0.0.0.0:*    users:(("systemd-resolve",pid=301,fd=13))',
  'udp   UNCONN 0      0       [fe80::1]%eth0:546           [::]:*    users:(("dhclient",pid=40,fd=5))',
  'tcp   LISTEN 0      128           0.0.0.0:22          0.0.0.0:*    users:(("sshd",pid=381,fd=3))',
  'tcp   LISTEN 0      128              [::]:22             [::]:*    users:(("sshd",pid=381,fd=4))',
  'tcp   LISTEN 0      511                 *:3000              *:*    users:(("node",pid=900,fd=20),("node",pid=901,fd=20))',
  'tcp   LISTEN 0      4096   [::ffff:127.0.0.1]:6379         *:*',
  'garbage line',
  '',
].join('\n');

describe('parseListeningSockets', () => {
  it('reads protocol, address, port and every process, sorted by port', () => {
    expect(parseListeningSockets(SAMPLE)).toEqual([
      {
        proto: 'tcp',
        address: '0.0.0.0',
        port: 22,
        processes: [{ name: 'sshd', pid: 381 }],
        reachable: true,
      },
      { proto: 'tcp', address: '::', port: 22, processes: [{ name: 'sshd', pid: 381 }], reachable: true },
      {
        proto: 'udp',
        address: '127.0.0.53',
        port: 53,
        processes: [{ name: 'systemd-resolve', pid: 301 }],
        reachable: false,
      },
      {
        proto: 'udp',
        address: 'fe80::1',
        port: 546,
        processes: [{ name: 'dhclient', pid: 40 }],
        reachable: true,
      },
      {
        proto: 'tcp',
        address: '*',
        port: 3000,
        processes: [
          { name: 'node', pid: 900 },
          { name: 'node', pid: 901 },
        ],
        reachable: true,
      },
      { proto: 'tcp', address: '::ffff:127.0.0.1', port: 6379, processes: [], reachable: false },
    ]);
  });

  it('names the host-side address', () => {
    expect(guestPortAddress('sandbox', 3000)).toBe('sandbox.vm:3000');
  });
});
