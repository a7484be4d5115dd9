import { AppError } from '../../domain/errors.js';

/**
 * The longest command line, in bytes, banger hands to `debugfs -f`.
 * debugfs reads its script with `fgets` into a BUFSIZ (8192 with glibc)
 * buffer: a longer line is cut after 8191 bytes and the remainder runs as
 * a command of its own, and libss gives a line starting with `!` to the
 * shell. So a file name could smuggle in any debugfs command or a shell
 * command. 8190 leaves room for the newline and the NUL.
 */
export const DEBUGFS_MAX_LINE_BYTES = 8190;

/**
 * Quotes one word of a debugfs command. debugfs (libss) splits on spaces
 * outside double quotes and reads `""` inside a quoted word as one literal
 * quote; everything else inside the quotes is literal. A line break (debugfs
 * also cuts lines at `\r`) or a NUL cannot be expressed at all: callers get
 * an `invalid_argument` AppError naming the word, and should refuse the
 * input before anything is written.
 */
export function debugfsQuote(word: string): string {
  if (/[\n\r\0]/.test(word)) {
    throw new AppError(
      'invalid_argument',
      `${JSON.stringify(word)} contains a line break or NUL, which cannot be written into an ext4 image without mounting it; rename it`,
    );
  }
  return `"${word.replaceAll('"', '""')}"`;
}

/** The quoted words of a command line, unquoted. */
function wordsOf(line: string): string[] {
  // Stryker disable next-line StringLiteral: the group always takes part in the match
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] ?? '').replaceAll('""', '"'));
}

/** A path for a one-line message: its start and its size. */
function shortName(path: string): string {
  const shown = path.length > 60 ? `${path.slice(0, 60)}…` : path;
  return `${JSON.stringify(shown)} (${Buffer.byteLength(path)} bytes)`;
}

/**
 * Joins commands into a debugfs script after checking that debugfs will
 * read every one as a single line: no line breaks inside a command and at
 * most DEBUGFS_MAX_LINE_BYTES bytes each. Throws AppError invalid_argument
 * naming the longest path of the first offending command, before anything
 * runs.
 */
export function debugfsScript(commands: readonly string[]): string {
  for (const command of commands) {
    if (/[\n\r\0]/.test(command)) {
      throw new AppError(
        'invalid_argument',
        `the debugfs command ${JSON.stringify(command.slice(0, 80))} contains a line break or NUL; rename the file`,
      );
    }
    const bytes = Buffer.byteLength(command);
    if (bytes > DEBUGFS_MAX_LINE_BYTES) {
      const longest = wordsOf(command).sort((a, b) => b.length - a.length)[0] ?? command;
      throw new AppError(
        'invalid_argument',
        `the path ${shortName(longest)} is too long for a debugfs command (${bytes} bytes, at most ${DEBUGFS_MAX_LINE_BYTES}; every " counts twice), so it cannot be written into an ext4 image without mounting it; shorten it`,
        { details: { path: longest, commandBytes: bytes, maxBytes: DEBUGFS_MAX_LINE_BYTES } },
      );
    }
  }
  return commands.length === 0 ? '' : `${commands.join('\n')}\n`;
}
