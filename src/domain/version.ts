import pkg from '../../package.json' with { type: 'json' };

/** banger's version, shared by the CLI and the daemon so mismatches can be detected. */
export const VERSION: string = pkg.version;
