import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import { BASE_KERNEL_ARGS, bootArgs, KERNEL_CMDLINE_MAX } from './boot-args.js';

const base = { address: '172.16.0.2/24', gateway: '172.16.0.1', dns: ['172.16.0.1'], hostname: 'e2e-a' };

describe('bootArgs', () => {
  it('puts the console and exit-on-panic/reboot first, then the boot contract', () => {
    expect(bootArgs(base)).toBe(
      'console=ttyS0 reboot=k panic=1 pci=off banger.root=overlay banger.ip=172.16.0.2/24 banger.gw=172.16.0.1 banger.dns=172.16.0.1 banger.hostname=e2e-a',
    );
  });

  it('joins several DNS servers with commas and omits banger.dns= without any', () => {
    expect(bootArgs({ ...base, dns: ['172.16.0.1', '9.9.9.9'] })).toContain(
      ' banger.dns=172.16.0.1,9.9.9.9 ',
    );
    expect(bootArgs({ ...base, dns: [] })).not.toContain('banger.dns');
  });

  it('selects the persistent root and appends extra arguments in order', () => {
    const line = bootArgs({ ...base, persistentRoot: true, extra: ['tsc=reliable', 'quiet'] });
    expect(line).toContain(' banger.root=persistent ');
    expect(line.endsWith(' banger.hostname=e2e-a tsc=reliable quiet')).toBe(true);
    expect(line.split(' ').slice(0, BASE_KERNEL_ARGS.length)).toEqual([...BASE_KERNEL_ARGS]);
  });

  it.each([
    [{ address: '172.16.0.2' }, 'ADDR/PREFIX'],
    [{ address: '172.16.0.2/33' }, 'ADDR/PREFIX'],
    [{ address: '172.16.0.256/24' }, 'guest address'],
    [{ gateway: '172.16.0.1 init=/bin/sh' }, 'gateway'],
    [{ dns: ['1.1.1.1', 'x'] }, 'DNS server'],
    [{ hostname: 'a b' }, 'hostname'],
    [{ hostname: '../x' }, 'hostname'],
    [{ extra: ['a b'] }, 'one word'],
    [{ extra: [''] }, 'one word'],
    [{ extra: ['x'.repeat(KERNEL_CMDLINE_MAX)] }, 'Firecracker allows 2048'],
  ])('rejects %j', (override, message) => {
    const err = errorOf(() => bootArgs({ ...base, ...override }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain(message);
  });
});
