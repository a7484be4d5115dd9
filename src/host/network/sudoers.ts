import { AppError } from '../../domain/errors.js';
import { isUserName } from '../system/invoking-user.js';
import { PRIVILEGED_TOOLS, type PrivilegedTool } from './allow-list.js';

/**
 * The sudoers side of banger's privilege boundary. A user is granted one
 * command, the root helper, with any arguments: the helper itself refuses
 * everything outside the user's grant, so sudo needs no argument patterns
 * (whose `*` would match spaces and newlines). Older banger releases granted
 * the network tools themselves, which gives root; `unsafeGrants` finds such
 * lines in `sudo -l` output.
 */

/**
 * sudoers reads an upper-case word where a user goes as an alias (`ALL` is
 * every user), so such a name would grant someone else; the check is the
 * same as sudoers' alias syntax.
 */
const SUDOERS_ALIAS_RE = /^[A-Z][A-Z0-9_]*$/;

/** The one line that lets `user` run the helper as root without a password. */
export function helperSudoersLine(user: string, helperPath: string): string {
  if (!isUserName(user) || SUDOERS_ALIAS_RE.test(user)) {
    throw new AppError('internal', `"${user}" is not a user name sudoers can express`);
  }
  if (!/^\/[A-Za-z0-9/_.+-]*$/.test(helperPath)) {
    throw new AppError('internal', `"${helperPath}" cannot be written in a sudoers line`);
  }
  return `${user} ALL=(root) NOPASSWD: ${helperPath}`;
}

/**
 * Commands in `sudo -l` output that grant one of the network tools directly,
 * as older banger releases did: each gives root (e.g. `iptables-save -f`
 * writes any file). Returns the commands as sudo lists them.
 */
export function unsafeGrants(sudoList: string): string[] {
  const found: string[] = [];
  for (const line of sudoList.split('\n')) {
    // Stryker disable next-line Regex: `.+` stops at the end of the line anyway, so the `$` mutant is the same
    const m = /^\s*\([^)]*\)\s*(?:[A-Z_]+:\s*)*(.+)$/.exec(line);
    if (!m?.[1]) continue;
    for (const command of m[1].split(/,\s+(?=\/)/)) {
      // Stryker disable next-line MethodExpression,Regex,StringLiteral: a command never starts with a space here, and only the first word is read
      const path = command.trim().split(/\s+/)[0] ?? '';
      const base = path.slice(path.lastIndexOf('/') + 1);
      if (PRIVILEGED_TOOLS.includes(base as PrivilegedTool)) found.push(command.trim());
    }
  }
  return found;
}
