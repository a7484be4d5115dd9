import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { AppError } from '../../domain/errors.js';
import { CommandError, type Runner } from '../runner.js';

/** Where `banger system setup --install-sudoers` puts a user's line: one file per uid. */
export function defaultSudoersFile(uid: number): string {
  return `/etc/sudoers.d/banger-${uid}`;
}

/** The single file older banger releases wrote; its lines gave root, so setup removes it. */
export const LEGACY_SUDOERS_FILE = '/etc/sudoers.d/banger';
const HEADER = '# Written by `banger system setup`';

/** The whole file: a header saying who wrote it and why, then the lines. */
export function sudoersFileContent(user: string, lines: readonly string[]): string {
  return [
    `${HEADER} for ${user}: bangerd runs its network commands as root through this helper.`,
    "# The helper refuses every command that does not touch only this user's banger resources",
    '# (its bridge, its TAPs, rules tagged banger:, addresses in its subnet); see `banger doctor`.',
    ...lines,
    '',
  ].join('\n');
}

/**
 * Removes the sudoers file of an older banger (identified by banger's own
 * header, so an administrator's file of that name is left alone). Returns
 * true when it removed one.
 */
export function removeLegacySudoersFile(file = LEGACY_SUDOERS_FILE): boolean {
  const content = readOrUndefined(file);
  if (content === undefined || !content.startsWith(HEADER)) return false;
  rmSync(file, { force: true });
  return true;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when `file` already holds exactly `content`. */
export function sudoersFileIsCurrent(file: string, content: string): boolean {
  return readOrUndefined(file) === content;
}

/**
 * Installs `content` as `file`, mode 0440, only after `visudo -c -f`
 * accepts it: a broken sudoers file can lock the admin out of sudo. The
 * content is written to a sibling temp file first, whose name contains a
 * dot, so sudo ignores it (sudoers.d skips names with `.` or `~`) even if
 * we die before the rename. Idempotent: identical content is left alone.
 */
export async function installSudoersFile(
  runner: Runner,
  file: string,
  content: string,
  visudo = 'visudo',
): Promise<'installed' | 'unchanged'> {
  if (sudoersFileIsCurrent(file, content)) return 'unchanged';
  const temp = `${file}.banger-new`;
  try {
    const fd = openSync(temp, 'w', 0o440);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, 0o440);
    const check = await runner
      .run([visudo, '-c', '-f', temp], { check: false, timeoutMs: 30_000 })
      .catch((err) => {
        if (err instanceof CommandError)
          throw new AppError(
            'host_unsupported',
            `cannot validate sudoers lines: ${err.message}; install sudo`,
          );
        throw err;
      });
    if (check.exitCode !== 0) {
      const why = `${check.stderr}${check.stdout}`.trim().split('\n')[0] ?? '';
      throw new AppError(
        'internal',
        `visudo rejected the sudoers lines banger rendered (${why}); nothing was installed`,
      );
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError(
        'host_unsupported',
        `cannot write ${file}: its directory does not exist; is sudo installed?`,
      );
    }
    throw err;
  }
  return 'installed';
}
