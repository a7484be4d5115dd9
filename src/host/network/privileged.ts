import { AppError } from '../../domain/errors.js';
import { DEFAULT_HELPER_PATH, REFUSAL_PREFIX, REFUSED_EXIT } from '../root-helper/protocol.js';
import { CommandError, type Runner, type RunResult } from '../runner.js';
import { findShape, type PrivilegedTool } from './allow-list.js';
import { type NetworkGrant, type ResolvedGrant, resolveGrant } from './grant.js';
import { DEFAULT_TOOL_PATHS, type ToolPaths } from './tools.js';

export interface PrivilegedOptions {
  /** Run commands directly instead of through sudo and the root helper. Default: the process is root. */
  asRoot?: boolean;
  /** The resources this daemon may touch (from its config and uid). */
  grant: NetworkGrant;
  /** The installed root helper (config `root_helper`). */
  helper?: string;
  /** Tool paths used as root, and for the unprivileged reads (`ip -j link show` and the like). */
  tools?: Partial<ToolPaths>;
}

const RUN_TIMEOUT_MS = 30_000;
const SETUP_HINT = 'an administrator runs: sudo banger system setup --install-sudoers';

/**
 * The one way banger runs a command as root. Every command is checked
 * against the allow-list under this daemon's grant first, so a bug upstream
 * fails here with AppError('internal') before any process starts. As root
 * the tool runs directly; otherwise as `sudo -n <root helper> <tool> args`,
 * and the helper, which the user cannot change, checks the same list again
 * against the grant root wrote for this user: that second check is the
 * security boundary. Refusals by sudo or the helper become one line saying
 * how to fix the grant.
 */
export class PrivilegedRunner {
  readonly tools: ToolPaths;
  readonly asRoot: boolean;
  readonly grant: ResolvedGrant;
  readonly helper: string;

  constructor(
    private readonly runner: Runner,
    options: PrivilegedOptions,
  ) {
    this.tools = { ...DEFAULT_TOOL_PATHS, ...options.tools };
    this.asRoot = options.asRoot ?? process.getuid?.() === 0;
    this.grant = resolveGrant(options.grant);
    this.helper = options.helper ?? DEFAULT_HELPER_PATH;
  }

  /** True when this daemon's grant allows the command (reconcile skips other users' rules with it). */
  allows(tool: PrivilegedTool, args: readonly string[]): boolean {
    return findShape(this.grant, tool, args) !== undefined;
  }

  /**
   * Runs `tool args...` as root. With `check: false` a non-zero exit of the
   * tool itself is returned (e.g. `ip link del` of a missing device); a
   * refusal by sudo or the helper always throws AppError('host_unsupported').
   */
  async run(
    tool: PrivilegedTool,
    args: readonly string[],
    options: { check?: boolean } = {},
  ): Promise<RunResult> {
    if (!this.allows(tool, args)) {
      throw new AppError(
        'internal',
        `refusing to run "${tool} ${args.join(' ')}": not one of banger's privileged commands for bridge ${this.grant.bridgeName}`,
      );
    }
    const argv = this.asRoot
      ? [this.tools[tool], ...args]
      : [this.tools.sudo, '-n', this.helper, tool, ...args];
    let result: RunResult;
    try {
      result = await this.runner.run(argv, { check: false, timeoutMs: RUN_TIMEOUT_MS });
    } catch (err) {
      if (!this.asRoot && err instanceof CommandError && err.message.includes('could not be started')) {
        throw new AppError(
          'host_unsupported',
          `cannot run "${tool} ${args.join(' ')}" as root: sudo could not be started; install sudo or run bangerd as root`,
          { cause: err },
        );
      }
      throw err;
    }
    if (result.exitCode !== 0 && !this.asRoot) throwIfRefused(result, `${tool} ${args.join(' ')}`);
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandError(argv, result.exitCode, result.stderr);
    }
    return result;
  }
}

/** Turns a refusal by sudo or by the root helper into one actionable line. */
function throwIfRefused(result: RunResult, command: string): void {
  const helperLine = result.stderr.split('\n').find((l) => l.startsWith(REFUSAL_PREFIX));
  if (result.exitCode === REFUSED_EXIT && helperLine !== undefined) {
    throw new AppError(
      'host_unsupported',
      `banger's root helper refused "${command}": ${helperLine.slice(REFUSAL_PREFIX.length)}`,
      { details: { argv: result.argv } },
    );
  }
  const refusal = sudoRefusal(result.stderr);
  if (refusal !== undefined) {
    throw new AppError(
      'host_unsupported',
      `"${command}" needs root and sudo -n refused banger's root helper (${refusal}); ${SETUP_HINT}`,
      { details: { argv: result.argv } },
    );
  }
}

/**
 * sudo's own refusal in `stderr`, without the "sudo: " prefix: the last line
 * that is "sudo: ..." or "Sorry, user ... is not allowed ..." / "... may not
 * run ...". sudo may warn on lines before it; its "unable to resolve host"
 * warning is not a refusal (the command still runs), so a tool's failure
 * after it stays the tool's failure.
 */
function sudoRefusal(stderr: string): string | undefined {
  const line = stderr
    .split('\n')
    .findLast(
      (l) =>
        (l.startsWith('sudo: ') && !l.startsWith('sudo: unable to resolve host')) ||
        /^Sorry, user .* (is not allowed|may not run)/.test(l),
    );
  return line?.replace(/^sudo: /, '');
}

export function isSudoRefusal(stderr: string): boolean {
  return sudoRefusal(stderr) !== undefined;
}
