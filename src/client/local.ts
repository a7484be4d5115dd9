import { SpawnRunner } from '../host/runner.js';
import { type SystemSetupReport, systemSetup } from '../host/system/setup.js';
import { besideCli } from './beside-cli.js';

export type { SystemSetupReport };

/**
 * Removes the globally installed package (`npm uninstall -g banger`).
 * npm no longer runs uninstall scripts, so `banger uninstall` is the way to
 * stop the daemon before the commands disappear.
 */
export async function uninstallPackage(): Promise<void> {
  await new SpawnRunner().run(['npm', 'uninstall', '--global', 'banger'], { timeoutMs: 120_000 });
}

/**
 * `banger system setup`, run in the CLI process as root (see
 * src/host/system/setup.ts); it never talks to or starts a daemon.
 */
export function runSystemSetup(options: {
  installSudoers: boolean;
  installPackages?: boolean;
  confirmPackages?: (packages: readonly string[]) => Promise<boolean>;
  packageOutput?: (chunk: Buffer) => void;
  sudoersFile?: string;
  user?: string;
  configFile?: string;
  helperDir?: string;
  grantsDir?: string;
  node?: string;
}): Promise<SystemSetupReport> {
  return systemSetup({
    runner: new SpawnRunner(),
    env: process.env,
    uid: process.getuid?.() ?? -1,
    // The root helper is built next to the CLI bundle (dist/banger-root.mjs).
    helperProgram: besideCli('banger-root.mjs', import.meta.url),
    ...options,
  });
}
