/**
 * Where `banger system setup` installs banger's root helper: a root-owned
 * directory outside every user's reach. The daemon runs it through `sudo -n`
 * (config key `root_helper` overrides the path, e.g. for a different prefix).
 */
export const DEFAULT_HELPER_DIR = '/usr/local/libexec/banger';
export const HELPER_NAME = 'banger-root';
export const DEFAULT_HELPER_PATH = `${DEFAULT_HELPER_DIR}/${HELPER_NAME}`;
