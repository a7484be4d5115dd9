import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GRANT_QUERY, HELPER_PROGRAM } from '../root-helper/protocol.js';
import type { Runner } from '../runner.js';
import { type NetworkGrant, parseGrant, sameGrant } from './grant.js';
import { isSudoRefusal } from './privileged.js';
import { unsafeGrants } from './sudoers.js';

/**
 * Read-only answers for `banger doctor` about the privilege boundary: may
 * this user run the root helper, does the grant root wrote match the config,
 * and does sudoers still hold an older banger's unsafe lines. Nothing here
 * changes the host: the helper's `--grant` query only prints.
 */
export type HelperStatus =
  | { state: 'granted'; grant: NetworkGrant; matches: boolean }
  | { state: 'refused'; reason: string };

const TIMEOUT_MS = 15_000;

export async function inspectHelper(
  runner: Runner,
  o: { sudo: string; helper: string; wanted: NetworkGrant },
): Promise<HelperStatus> {
  const result = await runner
    .run([o.sudo, '-n', o.helper, GRANT_QUERY], { check: false, timeoutMs: TIMEOUT_MS })
    .catch((err: unknown) => ({ exitCode: -1, stdout: '', stderr: (err as Error).message }));
  if (result.exitCode !== 0) {
    const why = result.stderr.trim().split('\n')[0] ?? '';
    const reason = isSudoRefusal(result.stderr) ? `sudo -n refused ${o.helper} (${why})` : why;
    return { state: 'refused', reason: reason || `${o.helper} exited ${result.exitCode}` };
  }
  try {
    const grant = parseGrant(result.stdout, `${o.helper} ${GRANT_QUERY}`);
    return { state: 'granted', grant, matches: sameGrant(grant, o.wanted) };
  } catch (err) {
    return { state: 'refused', reason: (err as Error).message };
  }
}

/**
 * Whether the installed helper program is the one this banger ships
 * (`bundled`, next to the daemon's bundle): setup copies it, so an upgrade
 * needs setup again. 'unknown' when either file cannot be read.
 */
export function helperProgramStatus(helper: string, bundled: string): 'current' | 'outdated' | 'unknown' {
  try {
    const installed = readFileSync(join(dirname(helper), HELPER_PROGRAM));
    return installed.equals(readFileSync(bundled)) ? 'current' : 'outdated';
  } catch {
    return 'unknown';
  }
}

/** The commands an older banger's sudoers lines grant directly (each one gives root); [] when none or unknown. */
export async function findUnsafeSudoers(runner: Runner, sudo: string): Promise<string[]> {
  const result = await runner
    .run([sudo, '-n', '-l'], { check: false, timeoutMs: TIMEOUT_MS })
    .catch(() => undefined);
  return result?.exitCode === 0 ? unsafeGrants(result.stdout) : [];
}
