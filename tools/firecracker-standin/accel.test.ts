import { describe, expect, it } from 'vitest';
import { chooseAccel, hostTscKhz, probeElf, tscFromCpuinfo } from './accel.js';

describe('probeElf', () => {
  it('is an x86-64 ELF whose PVH note points at its entry', () => {
    const elf = probeElf();
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf.readUInt16LE(18)).toBe(62);
    const entry = elf.readBigUInt64LE(24);
    const note = elf.indexOf(Buffer.from('Xen\0', 'latin1'));
    expect(elf.readUInt32LE(note - 4)).toBe(18); // XEN_ELFNOTE_PHYS32_ENTRY
    expect(elf.readBigUInt64LE(note + 4)).toBe(entry);
  });
});

describe('accelerator and TSC', () => {
  it('takes BANGER_STANDIN_ACCEL=kvm|tcg as given', async () => {
    expect(await chooseAccel('/nonexistent/qemu', { BANGER_STANDIN_ACCEL: 'tcg' })).toBe('tcg');
    expect(await chooseAccel('/nonexistent/qemu', { BANGER_STANDIN_ACCEL: 'KVM' })).toBe('kvm');
  });

  it('falls back to TCG when the KVM probe cannot run', async () => {
    expect(await chooseAccel('/nonexistent/qemu', {})).toBe('tcg');
  });

  it('reads the host TSC from the environment, sysfs or /proc/cpuinfo', () => {
    const files: Record<string, string> = { '/proc/cpuinfo': 'processor\t: 0\ncpu MHz\t\t: 2445.406\n' };
    const read = (p: string): string => {
      const text = files[p];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    };
    expect(hostTscKhz({ BANGER_STANDIN_TSC_KHZ: '1234' }, read)).toBe(1234);
    expect(hostTscKhz({}, read)).toBe(2445406);
    files['/sys/devices/system/cpu/cpu0/tsc_freq_khz'] = '2999999\n';
    expect(hostTscKhz({}, read)).toBe(2999999);
    expect(tscFromCpuinfo('nothing here')).toBeUndefined();
  });
});
