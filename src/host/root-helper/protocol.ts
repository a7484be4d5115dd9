/**
 * How the daemon and the root helper talk (see docs/privileges.md). The
 * daemon runs `sudo -n <helper> <tool> <args...>`; the helper runs the tool
 * only when the grant of the calling user allows those exact arguments.
 * `sudo -n <helper> --grant` prints that grant as JSON.
 */

/** The helper's own refusals exit with this code (EX_NOPERM) and a stderr line starting with REFUSAL_PREFIX. */
export const REFUSED_EXIT = 77;
export const REFUSAL_PREFIX = 'banger-root: ';

export { DEFAULT_HELPER_DIR, DEFAULT_HELPER_PATH, HELPER_NAME } from '../../domain/root-helper-path.js';

/** The bundled program the helper's wrapper runs with node. */
export const HELPER_PROGRAM = 'banger-root.mjs';

/** Where the per-user grants live: `<dir>/<uid>.json`, root-owned, world-readable. */
export const DEFAULT_GRANTS_DIR = '/etc/banger/users';

export const GRANT_QUERY = '--grant';
