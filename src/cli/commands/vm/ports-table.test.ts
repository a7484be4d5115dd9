import { describe, expect, it } from 'vitest';
import { guestPortAddress, parseListeningSockets } from '../../../host/ssh/guest-ports.js';
import { isControl } from '../../terminal-safe.js';
import { portsTableRows } from './ports-table.js';

describe('portsTableRows', () => {
  it('shows a hostile process name with its control characters made visible', () => {
    // What a guest's `ss -H -tulpn` can print: the process name is the guest's to choose.
    const ss = [
      'tcp   LISTEN 0      511          0.0.0.0:8080      0.0.0.0:*    users:(("evil\x1b]0;pwned\x07\x1b[2J",pid=42,fd=3))',
      'udp   UNCONN 0      0          127.0.0.1\x1b[H:53        0.0.0.0:*    users:(("dns\u009b31m",pid=7,fd=5))',
      '',
    ].join('\n');
    const ports = parseListeningSockets(ss).map((p) => ({ ...p, url: guestPortAddress('vm1', p.port) }));
    const rows = portsTableRows(ports);
    expect(rows).toEqual([
      ['udp', '127.0.0.1\\x1b[H', '53', 'dns\\u009b31m(7)', 'guest only (loopback)'],
      ['tcp', '0.0.0.0', '8080', 'evil\\x1b]0;pwned\\x07\\x1b[2J(42)', 'vm1.vm:8080'],
    ]);
    expect(rows.flat().some((cell) => [...cell].some(isControl))).toBe(false);
  });
});
