// The real-Firecracker switch of the end-to-end tests. By default banger is
// pointed at the Firecracker stand-in; on a host with KVM and Firecracker,
// BANGER_E2E_FIRECRACKER=/path/to/firecracker runs the same suites against the
// real binary, and the tests that only make sense with the stand-in (its
// API checks, its no-guest mode, its BANGER_STANDIN_* knobs) are left out of
// the run (test/support/standin-only.ts).
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { STANDIN } from './qemu-standin.js';

const E2E_FIRECRACKER_ENV = 'BANGER_E2E_FIRECRACKER';

/**
 * The `firecracker_bin` a harness writes into banger's config: the real
 * binary when $BANGER_E2E_FIRECRACKER is set (after checking it is
 * executable and that KVM is usable, so a misconfigured host fails with one
 * clear error instead of a VM that never boots), else `standin`.
 */
export function firecrackerBin(
  standin: string = STANDIN,
  env: NodeJS.ProcessEnv = process.env,
  kvmDevice = '/dev/kvm',
): string {
  const real = env[E2E_FIRECRACKER_ENV];
  if (!real) return standin;
  try {
    accessSync(real, constants.X_OK);
  } catch (e) {
    throw new Error(`${E2E_FIRECRACKER_ENV}=${real} is not an executable file (${(e as Error).message})`);
  }
  try {
    closeSync(openSync(kvmDevice, 'r+'));
  } catch (e) {
    throw new Error(
      `${E2E_FIRECRACKER_ENV} is set but ${kvmDevice} is not usable (${(e as Error).message}): ` +
        `run on a host with KVM, or unset ${E2E_FIRECRACKER_ENV} to use the stand-in`,
    );
  }
  console.log(`end-to-end tests use firecracker_bin = ${real} (from ${E2E_FIRECRACKER_ENV})`);
  return real;
}
