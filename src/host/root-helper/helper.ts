import type { SpawnSyncOptions, SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { AppError } from '../../domain/errors.js';
import { findShape, PRIVILEGED_TOOLS, type PrivilegedTool } from '../network/allow-list.js';
import { formatGrant, parseGrant, type ResolvedGrant } from '../network/grant.js';
import { GRANT_QUERY, REFUSAL_PREFIX, REFUSED_EXIT } from './protocol.js';
import { findSystemTool } from './system-tools.js';
import { untrustedReason } from './trusted-path.js';

/**
 * The root helper's logic: what runs, as root, when a user's daemon calls
 * `sudo -n banger-root <tool> <args...>`. It trusts nothing the caller
 * controls: the grant comes from a root-owned file chosen by the caller's
 * uid (SUDO_UID, which sudo sets), the tool from the system's directories,
 * the environment is replaced, stdin is closed. Anything not allowed by the
 * grant is refused before a process is started.
 */
export interface HelperInput {
  /** The caller's arguments: a tool and its arguments, or `--grant`. */
  args: readonly string[];
  /** SUDO_UID as sudo set it. */
  sudoUid: string | undefined;
  /** Where grants live; fixed by the installed wrapper, never by the caller. */
  grantsDir: string;
  /** The helper's own uid; it refuses to do anything unless root. */
  euid: number;
  /**
   * Starts the tool (main.ts passes node's spawnSync). Injected so that unit
   * tests, including every mutant of this file, never run a command as root.
   */
  spawn: SpawnTool;
}

export type SpawnTool = (
  path: string,
  args: readonly string[],
  options: SpawnSyncOptions,
) => Pick<SpawnSyncReturns<Buffer>, 'status' | 'signal' | 'error'>;

/** The only environment, directory and streams a tool gets: nothing of the caller's. */
const TOOL_SPAWN_OPTIONS: SpawnSyncOptions = {
  cwd: '/',
  env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  stdio: ['ignore', 'inherit', 'inherit'],
  timeout: 60_000,
  killSignal: 'SIGKILL',
};

export interface HelperOutput {
  exitCode: number;
  /** Written to stdout by the helper itself (the grant query); tools write directly. */
  stdout?: string;
  /** One line, for refusals. */
  stderr?: string;
}

function refuse(message: string): HelperOutput {
  return { exitCode: REFUSED_EXIT, stderr: `${REFUSAL_PREFIX}${message}\n` };
}

/** Printable form of caller-supplied text for a refusal message: no control characters, bounded. */
function show(args: readonly string[]): string {
  const text = args.map((a) => JSON.stringify(a)).join(' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Reads and checks the caller's grant; a reason string when there is none usable. */
function loadGrant(grantsDir: string, sudoUid: string | undefined): ResolvedGrant | string {
  if (sudoUid === undefined || !/^(0|[1-9]\d{0,9})$/.test(sudoUid)) {
    return 'run me through sudo (SUDO_UID is not set)';
  }
  const file = `${grantsDir}/${sudoUid}.json`;
  const reason = untrustedReason(file);
  if (reason !== undefined) {
    return `no usable grant for uid ${sudoUid} (${reason}); an administrator runs: sudo banger system setup --install-sudoers`;
  }
  try {
    const grant = parseGrant(readFileSync(file, 'utf8'), file);
    if (String(grant.uid) !== sudoUid) return `${file} is not the grant of uid ${sudoUid}`;
    return grant;
  } catch (err) {
    return err instanceof AppError ? err.message : `cannot read ${file}`;
  }
}

function isTool(name: string | undefined): name is PrivilegedTool {
  return PRIVILEGED_TOOLS.includes(name as PrivilegedTool);
}

export function runHelper(input: HelperInput): HelperOutput {
  if (input.euid !== 0) return refuse('must run as root, through sudo -n');
  const grant = loadGrant(input.grantsDir, input.sudoUid);
  if (typeof grant === 'string') return refuse(grant);
  const [tool, ...args] = input.args;
  if (tool === GRANT_QUERY && args.length === 0) return { exitCode: 0, stdout: formatGrant(grant) };
  if (!isTool(tool) || findShape(grant, tool, args) === undefined) {
    return refuse(
      `refused ${show(input.args)}: not one of banger's commands for bridge ${grant.bridgeName}, subnet ${grant.cidr}, uid ${grant.uid}`,
    );
  }
  const found = findSystemTool(tool);
  if ('reason' in found) return refuse(`cannot run ${tool}: ${found.reason}`);
  const result = input.spawn(found.path, args, TOOL_SPAWN_OPTIONS);
  if (result.error) return refuse(`cannot run ${found.path}: ${result.error.message}`);
  if (result.signal) return { exitCode: 128 + (constants.signals[result.signal] ?? 0) };
  return { exitCode: result.status ?? 1 };
}
