import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';

/** The user `banger system setup` prepares the host for. */
export interface InvokingUser {
  name: string;
  uid: number;
  home: string;
}

/**
 * Names `useradd` would take (a letter or `_`, then letters, digits, `_.-`,
 * at most 32 characters, an optional trailing `$` for machine accounts):
 * nothing a shell, sudoers or getent would split or read as syntax.
 */
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

export function isUserName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * Looks a user up through NSS (`getent passwd`, so LDAP and the like work).
 * AppError('invalid_argument') when there is no such user.
 */
export async function lookupUser(runner: Runner, name: string): Promise<InvokingUser> {
  if (!isUserName(name))
    throw new AppError('invalid_argument', `"${name}" is not a user name; pass --user NAME`);
  const result = await runner.run(['getent', 'passwd', name], { check: false, timeoutMs: 10_000 });
  // Stryker disable next-line ArrayDeclaration: split always gives a first element
  const fields = result.stdout.split('\n')[0]?.split(':') ?? [];
  const uid = Number(fields[2]);
  const home = fields[5];
  if (result.exitCode !== 0 || fields[0] !== name || !Number.isInteger(uid) || !home) {
    throw new AppError('invalid_argument', `no user "${name}" on this host; pass --user NAME`);
  }
  return { name, uid, home };
}

/**
 * Who ran `sudo banger ...`: `--user`, else SUDO_USER (sudo sets it to the
 * invoking user), else root itself (root logged in directly).
 */
export async function invokingUser(
  runner: Runner,
  env: Record<string, string | undefined>,
  explicit?: string,
): Promise<InvokingUser> {
  const name = explicit ?? (env.SUDO_USER || undefined) ?? 'root';
  return lookupUser(runner, name);
}
