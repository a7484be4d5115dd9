/** Characters that never need quoting for a POSIX shell. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell: the remote shell sees exactly `word`,
 * whatever it contains (spaces, quotes, `$`, `;`, newlines, an empty string).
 */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Joins argv into one command line for a remote shell. ssh sends its command
 * arguments joined by spaces and the guest's login shell re-splits them, so
 * every argument must be quoted on its own to arrive as the same argument.
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
