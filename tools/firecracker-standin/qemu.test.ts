import { describe, expect, it } from 'vitest';
import { guestShutdownEndsVmm } from './qemu.js';

describe('guestShutdownEndsVmm', () => {
  it('ends the VMM on a guest reboot (a reset under -no-reboot), as Firecracker exits on one', () => {
    expect(guestShutdownEndsVmm('guest-reset')).toBe(true);
  });

  it('keeps it on a guest power-off or halt, as Firecracker stays alive with its vCPUs halted', () => {
    expect(guestShutdownEndsVmm('guest-shutdown')).toBe(false);
    expect(guestShutdownEndsVmm(undefined)).toBe(false);
  });
});
