import { spawnSync } from 'node:child_process';
import { runHelper } from './helper.js';

/**
 * Entry of the root helper bundle (dist/banger-root.mjs). The installed
 * wrapper runs it as `env -i BANGER_SUDO_UID=$SUDO_UID node banger-root.mjs
 * <grants dir> <caller's args...>`: the grants dir comes first and is fixed
 * by the wrapper, so the caller's arguments can never displace it.
 */
const [grantsDir, ...args] = process.argv.slice(2);
const output =
  grantsDir === undefined
    ? { exitCode: 77, stderr: 'banger-root: run through the installed wrapper\n' }
    : runHelper({
        args,
        grantsDir,
        sudoUid: process.env.BANGER_SUDO_UID || undefined,
        euid: process.geteuid?.() ?? -1,
        spawn: spawnSync,
      });
if (output.stdout) process.stdout.write(output.stdout);
if (output.stderr) process.stderr.write(output.stderr);
process.exitCode = output.exitCode;
