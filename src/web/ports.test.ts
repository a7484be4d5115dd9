import { describe, expect, it } from 'vitest';
import type { GuestPortView } from './api.js';
import { portProcesses, portReach } from './ports.js';

const port = (o: Partial<GuestPortView> = {}): GuestPortView => ({
  proto: 'tcp',
  address: '0.0.0.0',
  port: 8080,
  processes: [{ name: 'python3', pid: 42 }],
  reachable: true,
  url: 'dev.vm:8080',
  ...o,
});

describe('portReach', () => {
  it('links a reachable TCP port only with DNS routing', () => {
    expect(portReach(port(), true)).toEqual({
      kind: 'link',
      href: 'http://dev.vm:8080/',
      text: 'dev.vm:8080',
    });
    expect(portReach(port(), false)).toEqual({ kind: 'text', text: 'dev.vm:8080' });
    expect(portReach(port({ proto: 'udp' }), true)).toEqual({ kind: 'text', text: 'dev.vm:8080' });
    expect(portReach(port({ reachable: false, address: '127.0.0.1' }), true)).toEqual({ kind: 'loopback' });
  });
});

describe('portProcesses', () => {
  it('lists name (pid), with control characters made visible, or a dash', () => {
    expect(portProcesses(port())).toBe('python3 (42)');
    expect(
      portProcesses(
        port({
          processes: [
            { name: 'a\u001b[31m', pid: 1 },
            { name: 'b', pid: 2 },
          ],
        }),
      ),
    ).toBe('a?[31m (1), b (2)');
    expect(portProcesses(port({ processes: [] }))).toBe('–');
  });
});
