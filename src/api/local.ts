import { SpawnRunner } from '../host/runner.js';

/**
 * Removes the globally installed package (`npm uninstall -g banger`).
 * npm no longer runs uninstall scripts, so `banger uninstall` is the way to
 * stop the daemon before the commands disappear.
 */
export async function uninstallPackage(): Promise<void> {
  await new SpawnRunner().run(['npm', 'uninstall', '--global', 'banger'], { timeoutMs: 120_000 });
}
