// The test files that only make sense with the Firecracker stand-in: its own
// API checks, its no-guest mode (placeholder kernel and image), its QEMU. With
// BANGER_E2E_FIRECRACKER set (real Firecracker on a KVM host) vitest.config.ts
// leaves them out of the run, so they never show up as skipped tests.
// Imported by vitest.config.ts: keep it free of other imports.

const NO_GUEST = 'uses the stand-in’s no-guest mode (placeholder kernel and image)';

const STANDIN_ONLY: Record<string, string> = {
  'test/daemon/events.test.ts': NO_GUEST,
  'test/firecracker/cycles.test.ts': NO_GUEST,
  'test/firecracker/detached.test.ts': NO_GUEST,
  'test/firecracker/driver.test.ts': NO_GUEST,
  'test/firecracker/snapshot.test.ts': NO_GUEST,
  'test/firecracker/standin-fidelity.test.ts': 'checks the stand-in’s fidelity to Firecracker',
  'test/standin/api.test.ts': 'the stand-in’s own API checks',
  'test/standin/boot.test.ts': 'boots guests through the stand-in’s QEMU directly',
  'test/standin/process.test.ts': 'the stand-in’s command line and process',
  'test/standin/snapshot-api.test.ts': 'the stand-in’s own snapshot API checks',
  'test/standin/snapshot-boot.test.ts': 'snapshots of guests through the stand-in’s QEMU directly',
  'test/tui/tui.test.ts': NO_GUEST,
  'test/vm/bench-create-host.test.ts': NO_GUEST,
  'test/vm/crash-safety.test.ts': NO_GUEST,
  'test/vm/fidelity.test.ts': NO_GUEST,
  'test/vm/no-guest.test.ts': NO_GUEST,
  'test/vm/snapshots.test.ts': NO_GUEST,
  'test/vm/two-users.test.ts': NO_GUEST,
  'test/web/ui.test.ts': NO_GUEST,
};

/** The files to exclude: none by default; the stand-in-only ones (said once, with why) with real Firecracker. */
export function standinOnlyExcludes(
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = console.log,
): string[] {
  if (!env.BANGER_E2E_FIRECRACKER) return [];
  const files = Object.keys(STANDIN_ONLY);
  say(`BANGER_E2E_FIRECRACKER is set: leaving out ${files.length} stand-in-only test files:`);
  for (const file of files) say(`  ${file}: ${STANDIN_ONLY[file]}`);
  return files;
}
