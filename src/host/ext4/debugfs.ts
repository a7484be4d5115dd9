import { AppError } from '../../domain/errors.js';
import type { Runner } from '../runner.js';
import { debugfsQuote, debugfsScript } from './debugfs-script.js';

export { DEBUGFS_MAX_LINE_BYTES, debugfsQuote } from './debugfs-script.js';

/** Lines of debugfs stderr that report a problem (everything except its version banner). */
function problemsIn(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !/^debugfs \d/.test(line));
}

/**
 * Runs debugfs commands against an unmounted image in one `debugfs -w -f -`
 * process (the script goes through stdin, so no temp file). debugfs exits 0
 * even when a command fails, so anything on stderr besides its version
 * banner is treated as failure: rejects with AppError operation_failed
 * naming `purpose`. Resolves with debugfs's stdout. Does nothing without
 * commands. A command debugfs would not read as one line (see
 * debugfsScript) rejects with invalid_argument before debugfs starts.
 */
export async function runDebugfs(options: {
  runner: Runner;
  image: string;
  commands: readonly string[];
  /** What the commands do, for the error message, e.g. "apply ownership". Default "edit". */
  purpose?: string;
  signal?: AbortSignal;
}): Promise<string> {
  if (options.commands.length === 0) return '';
  const input = debugfsScript(options.commands);
  const result = await options.runner.run(['debugfs', '-w', '-f', '-', options.image], {
    input,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const problems = problemsIn(result.stderr);
  if (problems.length > 0) {
    throw new AppError(
      'operation_failed',
      `debugfs could not ${options.purpose ?? 'edit'} ${options.image}: ${problems.slice(0, 3).join('; ')}`,
      { details: { problems: problems.slice(0, 20) } },
    );
  }
  return result.stdout;
}

export type Ext4InodeKind = 'file' | 'dir' | 'symlink' | 'other';

/** What `debugfs stat` says about one existing inode. */
export interface Ext4Inode {
  kind: Ext4InodeKind;
  /** Permission bits (without the file type). */
  mode: number;
  uid: number;
  gid: number;
  /** Apparent size in bytes. */
  size: number;
}

const KINDS: Record<string, Ext4InodeKind> = { regular: 'file', directory: 'dir', symlink: 'symlink' };

function parseStat(section: string): Ext4Inode | undefined {
  const type = /Type: (\S+(?: special)?)\s+Mode:\s+([0-7]+)/.exec(section);
  const owner = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(section);
  const size = /\bSize: (\d+)/.exec(section.slice(owner?.index ?? 0));
  if (!type || !owner) return undefined;
  return {
    kind: KINDS[type[1] ?? ''] ?? 'other',
    mode: Number.parseInt(type[2] ?? '0', 8),
    uid: Number(owner[1]),
    gid: Number(owner[2]),
    size: Number(size?.[1] ?? 0),
  };
}

/**
 * Looks up absolute `paths` in an unmounted image with one read-only debugfs
 * run. The map holds an entry for every path that exists; the last component
 * is not followed when it is a symlink (intermediate symlinks are, so callers
 * that care check each prefix themselves). Paths too long for a debugfs
 * command line reject with invalid_argument before debugfs starts.
 */
export async function statPaths(
  runner: Runner,
  image: string,
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Ext4Inode>> {
  const found = new Map<string, Ext4Inode>();
  const unique = [...new Set(paths)];
  if (unique.length === 0) return found;
  const commands = unique.map((p) => `stat ${debugfsQuote(p)}`);
  // Even read-only, debugfs runs a `!` line through the shell: the script is checked all the same.
  const input = debugfsScript(commands);
  const result = await runner.run(['debugfs', '-f', '-', image], {
    input,
    ...(signal ? { signal } : {}),
  });
  // debugfs echoes each command as "debugfs: <command>"; a missing path prints nothing to stdout.
  const sections = new Map<string, string>();
  let current: string | undefined;
  const echoed = new Set(commands);
  for (const line of result.stdout.split('\n')) {
    const command = line.startsWith('debugfs: ') ? line.slice('debugfs: '.length) : undefined;
    if (command !== undefined && echoed.has(command)) {
      current = command;
      sections.set(current, '');
    } else if (current !== undefined) {
      sections.set(current, `${sections.get(current)}${line}\n`);
    }
  }
  // Lookups that merely fail (missing, or through a file or a symlink loop) mean "does not exist".
  const unexpected = problemsIn(result.stderr).filter(
    (l) => !/File not found by ext2_lookup|Ext2 inode is not a directory|Too many symbolic links/.test(l),
  );
  if (unexpected.length > 0 || sections.size !== unique.length) {
    throw new AppError(
      'operation_failed',
      `debugfs could not read ${image}: ${unexpected.slice(0, 3).join('; ') || 'unexpected output'}`,
      { details: { problems: unexpected.slice(0, 20) } },
    );
  }
  unique.forEach((path, i) => {
    const inode = parseStat(sections.get(commands[i] ?? '') ?? '');
    if (inode) found.set(path, inode);
  });
  return found;
}
