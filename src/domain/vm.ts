import { randomBytes } from 'node:crypto';
import { AppError } from './errors.js';

/** VM names: DNS-label-like, so `<name>.vm` resolves and paths stay plain. */
export const VM_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

const VCPU_RANGE = { min: 1, max: 32 } as const;
const MEMORY_MIB_RANGE = { min: 128, max: 256 * 1024 } as const;
const DISK_BYTES_RANGE = { min: 64 * 1024 ** 2, max: 2 * 1024 ** 4 } as const;

export type VmState = 'stopped' | 'running';

/** What a VM is: durable intent, stored in SQLite. What is running right now lives elsewhere. */
export interface VmRecord {
  id: string;
  name: string;
  image: string;
  vcpu: number;
  memoryMib: number;
  diskBytes: number;
  guestIp: string;
  nat: boolean;
  desiredState: VmState;
  createdAt: string;
  updatedAt: string;
  lastError: string | undefined;
}

/** A new VM id: 16 hex digits, random, so ids never collide across hosts or reuse. */
export function newVmId(): string {
  return randomBytes(8).toString('hex');
}

/** The one naming rule for VMs, images and kernels (`what` names the kind in the message). */
export function validateResourceName(what: string, name: string): string {
  if (!VM_NAME_RE.test(name)) {
    throw new AppError(
      'invalid_argument',
      `invalid ${what} name "${name}": use 1-63 lowercase letters, digits and dashes, starting with a letter or digit`,
    );
  }
  return name;
}

export function validateVmName(name: string): string {
  return validateResourceName('VM', name);
}

export function validateVcpu(vcpu: number): number {
  if (!Number.isInteger(vcpu) || vcpu < VCPU_RANGE.min || vcpu > VCPU_RANGE.max) {
    throw new AppError(
      'invalid_argument',
      `invalid vCPU count ${vcpu}: use ${VCPU_RANGE.min}-${VCPU_RANGE.max}`,
    );
  }
  return vcpu;
}

export function validateMemoryMib(mib: number): number {
  if (!Number.isInteger(mib) || mib < MEMORY_MIB_RANGE.min || mib > MEMORY_MIB_RANGE.max) {
    throw new AppError(
      'invalid_argument',
      `invalid memory ${mib} MiB: use ${MEMORY_MIB_RANGE.min}-${MEMORY_MIB_RANGE.max} MiB`,
    );
  }
  return mib;
}

export function validateDiskBytes(bytes: number, text = String(bytes)): number {
  if (bytes < DISK_BYTES_RANGE.min || bytes > DISK_BYTES_RANGE.max) {
    throw new AppError('invalid_argument', `invalid disk size ${text}: use between 64M and 2T`);
  }
  return bytes;
}
