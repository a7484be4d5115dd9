import { AppError } from '../../domain/errors.js';
import { which } from '../probe.js';
import type { Runner } from '../runner.js';

/** banger relies on ACPI device discovery, which Firecracker has on x86_64 since 1.8. */
const MIN_FIRECRACKER = { major: 1, minor: 8 } as const;

/** Where a user without KVM or Firecracker is sent: trying banger under emulation is documented, never automatic. */
export const WITHOUT_KVM_HINT = 'no KVM here? docs/without-kvm.md shows how to try banger under emulation';

export interface FirecrackerBinary {
  path: string;
  version: string;
}

/** Parses `firecracker --version` output ("Firecracker v1.16.1" on its first line). */
function parseFirecrackerVersion(
  output: string,
): { major: number; minor: number; patch: number } | undefined {
  const m = /Firecracker v?(\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/**
 * Finds the Firecracker binary (`firecracker_bin`, else PATH) and checks its
 * version. Throws AppError('host_unsupported') with the fix when it is
 * missing, unrunnable or older than 1.8.
 */
export async function resolveFirecracker(
  runner: Runner,
  configured: string | undefined,
): Promise<FirecrackerBinary> {
  const path = configured ? which(configured) : which('firecracker');
  if (!path) {
    const where = configured
      ? `firecracker_bin = "${configured}" is not an executable file`
      : 'firecracker is not on PATH';
    throw new AppError(
      'host_unsupported',
      `${where}; install Firecracker ≥ ${MIN_FIRECRACKER.major}.${MIN_FIRECRACKER.minor} or set firecracker_bin in config.toml (${WITHOUT_KVM_HINT})`,
    );
  }
  const result = await runner.run([path, '--version'], { timeoutMs: 10_000, check: false });
  const version = parseFirecrackerVersion(result.stdout);
  if (!version) {
    throw new AppError(
      'host_unsupported',
      `${path} --version did not print a Firecracker version; check firecracker_bin`,
    );
  }
  const text = `${version.major}.${version.minor}.${version.patch}`;
  const tooOld =
    version.major < MIN_FIRECRACKER.major ||
    (version.major === MIN_FIRECRACKER.major && version.minor < MIN_FIRECRACKER.minor);
  if (tooOld) {
    throw new AppError(
      'host_unsupported',
      `Firecracker ${text} at ${path} is too old; banger needs ≥ ${MIN_FIRECRACKER.major}.${MIN_FIRECRACKER.minor} for ACPI device discovery`,
    );
  }
  return { path, version: text };
}
