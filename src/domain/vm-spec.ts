import type { Config } from './config.js';
import { formatSize, parseSize } from './size.js';
import { validateDiskBytes, validateMemoryMib, validateVcpu } from './vm.js';

/** Where a sizing value came from, shown in the `spec:` line and by doctor. */
type SpecSource = 'flag' | 'vm_defaults' | 'host' | 'built-in';

interface Sourced<T> {
  value: T;
  source: SpecSource;
}

export interface VmSizing {
  vcpu: Sourced<number>;
  memoryMib: Sourced<number>;
  diskBytes: Sourced<number>;
}

export interface HostFacts {
  cpus: number;
  memoryMib: number;
}

export interface SizingFlags {
  vcpu?: number;
  memoryMib?: number;
  diskSize?: string;
}

/** The floors: a VM never gets less unless a flag or vm_defaults asks for it explicitly. */
const BUILT_IN = { vcpu: 1, memoryMib: 1024, diskBytes: 8 * 1024 ** 3 } as const;

/** Host heuristics: about a quarter of the CPUs (at most 4), an eighth of the RAM (at most 8 GiB). */
function hostHeuristics(host: HostFacts): { vcpu: number; memoryMib: number; diskBytes: number } {
  return {
    vcpu: Math.min(4, Math.floor(host.cpus / 4)),
    memoryMib: Math.min(8192, Math.floor(host.memoryMib / 8 / 256) * 256),
    diskBytes: 8 * 1024 ** 3,
  };
}

function pick<T extends number>(
  flag: T | undefined,
  configured: T | undefined,
  heuristic: T,
  floor: T,
): Sourced<number> {
  if (flag !== undefined) return { value: flag, source: 'flag' };
  if (configured !== undefined) return { value: configured, source: 'vm_defaults' };
  if (heuristic >= floor) return { value: heuristic, source: 'host' };
  return { value: floor, source: 'built-in' };
}

/**
 * Resolves a new VM's size: flags, then `[vm_defaults]`, then host
 * heuristics, then the built-in floors. Explicit values are validated
 * (AppError invalid_argument); derived ones are always in range.
 */
export function resolveSizing(
  flags: SizingFlags,
  config: Pick<Config, 'vmDefaults'>,
  host: HostFacts,
): VmSizing {
  const h = hostHeuristics(host);
  const d = config.vmDefaults;
  const flagDisk = flags.diskSize === undefined ? undefined : parseSize(flags.diskSize, 'disk size');
  const defaultDisk = d.disk_size === undefined ? undefined : parseSize(d.disk_size, 'vm_defaults.disk_size');
  const sizing = {
    vcpu: pick(flags.vcpu, d.vcpu, h.vcpu, BUILT_IN.vcpu),
    memoryMib: pick(flags.memoryMib, d.memory_mib, h.memoryMib, BUILT_IN.memoryMib),
    diskBytes: pick(flagDisk, defaultDisk, h.diskBytes, BUILT_IN.diskBytes),
  };
  validateVcpu(sizing.vcpu.value);
  validateMemoryMib(sizing.memoryMib.value);
  validateDiskBytes(sizing.diskBytes.value, flags.diskSize ?? d.disk_size);
  return sizing;
}

/** `spec: 2 vCPU (vm_defaults), 4096 MiB (host), 8G disk (built-in)` */
export function formatSpecLine(s: VmSizing): string {
  return `spec: ${s.vcpu.value} vCPU (${s.vcpu.source}), ${s.memoryMib.value} MiB (${s.memoryMib.source}), ${formatSize(s.diskBytes.value)} disk (${s.diskBytes.source})`;
}
