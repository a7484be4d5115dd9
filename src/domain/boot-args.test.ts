import { describe, expect, it } from 'vitest';
import { errorOf } from '../testing/app-error.js';
import {
  BANGER_VIRTIO_DEVICES,
  BASE_KERNEL_ARGS,
  bootArgs,
  checkKernelCmdline,
  firecrackerCmdlineBytes,
  KERNEL_CMDLINE_MAX,
} from './boot-args.js';

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
    expect(bootArgs({ ...base, dns: [] })).toBe(
      'console=ttyS0 reboot=k panic=1 pci=off banger.root=overlay banger.ip=172.16.0.2/24 banger.gw=172.16.0.1 banger.hostname=e2e-a',
    );
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
    [{ extra: ['café'] }, 'printable ASCII'],
    [{ extra: ['a\tb'] }, 'one word'],
    [{ extra: ['x'.repeat(KERNEL_CMDLINE_MAX)] }, 'Firecracker allows 2048'],
  ])('rejects %j', (override, message) => {
    const err = errorOf(() => bootArgs({ ...base, ...override }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain(message);
  });
});

describe('bootArgs refusals, word for word', () => {
  it.each([
    [{ address: '172.16.0.2/0' }, 'guest address "172.16.0.2/0" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '12' }, 'guest address "12" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '/24' }, 'guest address "" is not an IPv4 address'],
    [{ address: '172.16.0.2/' }, 'guest address "172.16.0.2/" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '172.16.0.2/2x' }, 'guest address "172.16.0.2/2x" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '172.16.0.2/x24' }, 'guest address "172.16.0.2/x24" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '172.16.0.2/024' }, 'guest address "172.16.0.2/024" must be ADDR/PREFIX, e.g. 172.16.0.2/24'],
    [{ address: '172.16.0.x/24' }, 'guest address "172.16.0.x" is not an IPv4 address'],
    [{ gateway: '' }, 'gateway "" is not an IPv4 address'],
    [{ dns: ['9.9.9.9 x'] }, 'DNS server "9.9.9.9 x" is not an IPv4 address'],
    [{ hostname: 'A' }, 'hostname "A" is not a valid VM name'],
    [{ extra: [' a'] }, 'kernel argument " a" must be one word of printable ASCII'],
    [{ extra: ['éa'] }, 'kernel argument "éa" must be one word of printable ASCII'],
    [{ extra: ['a\x7f'] }, 'kernel argument "a\u007f" must be one word of printable ASCII'],
  ])('rejects %j', (override, message) => {
    const err = errorOf(() => bootArgs({ ...base, ...override }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe(message);
  });

  it('takes prefixes from /1 to /32 and every printable ASCII word', () => {
    expect(bootArgs({ ...base, address: '172.16.0.2/1' })).toContain(' banger.ip=172.16.0.2/1 ');
    expect(bootArgs({ ...base, address: '172.16.0.2/32' })).toContain(' banger.ip=172.16.0.2/32 ');
    expect(bootArgs({ ...base, extra: ['!~'] }).endsWith(' !~')).toBe(true);
  });
});

describe("Firecracker's kernel command line limit", () => {
  it('counts the line without surrounding spaces', () => {
    expect(firecrackerCmdlineBytes('  a  ', { virtioDevices: 0 })).toBe(
      firecrackerCmdlineBytes('a', { virtioDevices: 0 }),
    );
  });

  const banger = { root: { readOnly: true }, virtioDevices: BANGER_VIRTIO_DEVICES };

  it('counts the NUL and what Firecracker appends: pci=off, root=/dev/vda ro, one virtio_mmio.device= per device', () => {
    // 13 + NUL + " pci=off" 8 + " root=/dev/vda" 14 + " ro" 3 + 5 x " virtio_mmio.device=4K@0xc0001000:5" 35
    expect(firecrackerCmdlineBytes('console=ttyS0', banger)).toBe(13 + 1 + 8 + 14 + 3 + 5 * 35);
    // IRQs from 5: the sixth device's is 10, one digit more.
    expect(
      firecrackerCmdlineBytes('a', { virtioDevices: 6 }) - firecrackerCmdlineBytes('a', { virtioDevices: 5 }),
    ).toBe(36);
    expect(
      firecrackerCmdlineBytes('a', { root: { partuuid: 'abcd-01', readOnly: false }, virtioDevices: 0 }),
    ).toBe(1 + 1 + 8 + ' root=PARTUUID=abcd-01'.length + 3);
    // Bytes, not characters.
    expect(firecrackerCmdlineBytes('é', { virtioDevices: 0 })).toBe(2 + 1 + 8);
  });

  it('lets a line through up to exactly 2048 bytes in the guest and refuses one byte more', () => {
    const room = KERNEL_CMDLINE_MAX - firecrackerCmdlineBytes('', banger);
    expect(() => checkKernelCmdline('x'.repeat(room), banger)).not.toThrow();
    const err = errorOf(() => checkKernelCmdline('x'.repeat(room + 1), banger));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toBe(
      'the kernel command line would be 2049 bytes with what Firecracker appends (pci=off, root=, one virtio_mmio.device= per device, the NUL); Firecracker allows 2048',
    );
  });

  it("refuses in bootArgs a line that fits 2048 bytes by itself but not with Firecracker's additions", () => {
    const line = bootArgs(base);
    const room = KERNEL_CMDLINE_MAX - firecrackerCmdlineBytes(line, banger);
    // One extra argument of `room - 1` bytes (plus its space) fills the line exactly.
    const fits = bootArgs({ ...base, extra: ['x'.repeat(room - 1)] });
    expect(firecrackerCmdlineBytes(fits, banger)).toBe(KERNEL_CMDLINE_MAX);
    expect(new TextEncoder().encode(fits).length).toBeLessThan(KERNEL_CMDLINE_MAX - 150);
    const err = errorOf(() => bootArgs({ ...base, extra: ['x'.repeat(room)] }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('2049 bytes');
    // Fewer devices leave more room.
    expect(() => bootArgs({ ...base, extra: ['x'.repeat(room)], virtioDevices: 4 })).not.toThrow();
  });
});
