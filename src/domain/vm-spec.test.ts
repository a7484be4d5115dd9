import { describe, expect, it } from 'vitest';
import { formatSpecLine, resolveSizing } from './vm-spec.js';

const big = { cpus: 32, memoryMib: 128 * 1024 };
const small = { cpus: 2, memoryMib: 4096 };

describe('resolveSizing', () => {
  it('uses host heuristics capped at 4 vCPU and 8 GiB', () => {
    const s = resolveSizing({}, { vmDefaults: {} }, big);
    expect(formatSpecLine(s)).toBe('spec: 4 vCPU (host), 8192 MiB (host), 8G disk (host)');
  });

  it('falls back to the built-in floors on a small host', () => {
    const s = resolveSizing({}, { vmDefaults: {} }, small);
    expect(s.vcpu).toEqual({ value: 1, source: 'built-in' });
    expect(s.memoryMib).toEqual({ value: 1024, source: 'built-in' });
  });

  it('prefers vm_defaults over the host, and flags over both', () => {
    const config = { vmDefaults: { vcpu: 3, memory_mib: 2048, disk_size: '16G' } };
    const s = resolveSizing({ memoryMib: 4096 }, config, big);
    expect(formatSpecLine(s)).toBe('spec: 3 vCPU (vm_defaults), 4096 MiB (flag), 16G disk (vm_defaults)');
  });

  it.each([
    [{ vcpu: 0 }, /invalid vCPU count 0/],
    [{ vcpu: 33 }, /invalid vCPU count 33/],
    [{ memoryMib: 99999999 }, /invalid memory 99999999 MiB/],
    [{ diskSize: '1K' }, /invalid disk size 1K/],
    [{ diskSize: 'lots' }, /invalid disk size "lots"/],
  ])('rejects %j', (flags, message) => {
    expect(() => resolveSizing(flags, { vmDefaults: {} }, big)).toThrow(message);
  });
});
