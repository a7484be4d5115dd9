import { describe, expect, it } from 'vitest';
import { buildBootCmdline, CMDLINE_ERROR, CMDLINE_MAX_SIZE, Cmdline, virtioMmioArg } from './cmdline.js';
import { Fault } from './faults.js';

const TOO_LONG_AT_START =
  'Start microvm error: Invalid kernel command line: Inserting string would make command line too long.';
const TOO_LONG_AT_DEVICE =
  'Start microvm error: Could not attach device: MMIO transport error: Failed to allocate requested resourc: Inserting string would make command line too long.';

function faultOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof Fault) return err.message;
    throw err;
  }
  throw new Error('expected a Fault');
}

describe('Cmdline (linux-loader rules)', () => {
  it('try_from takes 2047 bytes (2048 with the NUL) and refuses 2048', () => {
    expect(Cmdline.tryFrom('x'.repeat(CMDLINE_MAX_SIZE - 1)).size).toBe(CMDLINE_MAX_SIZE);
    expect(() => Cmdline.tryFrom('x'.repeat(CMDLINE_MAX_SIZE))).toThrow(CMDLINE_ERROR.invalidCapacity);
  });

  it('try_from trims, splits init arguments at the first " -- " outside quotes, counts bytes', () => {
    expect(Cmdline.tryFrom('  a=1 b  ').toString()).toBe('a=1 b');
    const split = Cmdline.tryFrom('a="x -- y" b -- init --flag');
    expect(split.bootArgs).toBe('a="x -- y" b');
    expect(split.toString()).toBe('a="x -- y" b -- init --flag');
    expect(split.size).toBe(Buffer.byteLength('a="x -- y" b -- init --flag') + 1);
    // Characters are not checked by try_from: UTF-8 counts in bytes (é is 2).
    expect(Cmdline.tryFrom('é'.repeat(1023)).size).toBe(2047);
    expect(() => Cmdline.tryFrom('é'.repeat(1024))).toThrow(CMDLINE_ERROR.invalidCapacity);
  });

  it('insert adds a space, keeps init arguments last, and checks ASCII and the size with the NUL', () => {
    const line = Cmdline.tryFrom('a -- init');
    line.insert('root=/dev/vda');
    expect(line.toString()).toBe('a root=/dev/vda -- init');
    expect(() => line.insert('ünicode')).toThrow(CMDLINE_ERROR.invalidAscii);
    const full = Cmdline.tryFrom('x'.repeat(CMDLINE_MAX_SIZE - 4));
    full.insert('ab'); // 2044 + 1 + 2 + NUL = 2048
    expect(full.size).toBe(CMDLINE_MAX_SIZE);
    expect(() => full.insert('c')).toThrow(CMDLINE_ERROR.tooLarge);
  });
});

describe('the command line Firecracker boots with', () => {
  const devices = { root: { readOnly: true }, virtio: 5 };

  it('is boot_args, pci=off, root=/dev/vda ro and one virtio_mmio.device= per device', () => {
    const line = buildBootCmdline('console=ttyS0', devices, { mmioArgs: true }).toString();
    expect(line).toBe(
      ['console=ttyS0 pci=off root=/dev/vda ro', ...[0, 1, 2, 3, 4].map((i) => virtioMmioArg(i))].join(' '),
    );
    expect(virtioMmioArg(0)).toBe('virtio_mmio.device=4K@0xc0001000:5');
    expect(virtioMmioArg(5)).toBe('virtio_mmio.device=4K@0xc0006000:10');
    expect(
      buildBootCmdline(
        'a',
        { root: { partuuid: 'p-1', readOnly: false }, virtio: 1 },
        {
          mmioArgs: false,
        },
      ).toString(),
    ).toBe('a pci=off root=PARTUUID=p-1 rw');
  });

  it('is refused at InstanceStart when the additions no longer fit, in Firecracker’s words', () => {
    // 5 devices: " pci=off" 8 + " root=/dev/vda" 14 + " ro" 3 + 5 x 35 = 200 bytes, plus the NUL.
    const added = 8 + 14 + 3 + 5 * 35;
    const fits = 'x'.repeat(CMDLINE_MAX_SIZE - 1 - added);
    expect(Buffer.byteLength(buildBootCmdline(fits, devices, { mmioArgs: true }).toString()) + 1).toBe(
      CMDLINE_MAX_SIZE,
    );
    expect(faultOf(() => buildBootCmdline(`${fits}y`, devices, { mmioArgs: true }))).toBe(TOO_LONG_AT_DEVICE);
    expect(
      faultOf(() => buildBootCmdline('x'.repeat(CMDLINE_MAX_SIZE - 5), devices, { mmioArgs: true })),
    ).toBe(TOO_LONG_AT_START);
    // QEMU's copy (no MMIO list, no limit) is still built for the same input.
    expect(buildBootCmdline(`${fits}y`, devices, { mmioArgs: false, capacity: Infinity }).size).toBeLessThan(
      CMDLINE_MAX_SIZE,
    );
  });
});
