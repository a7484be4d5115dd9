import { userInfo } from 'node:os';
import { AppError } from '../../domain/errors.js';
import { CommandError, type Runner, type RunResult } from '../runner.js';
import { findShape, type PrivilegedTool, type PrivilegeGroup } from './allow-list.js';
import { concreteShapeFor, expandShapes, sampleArgs, sudoersLine } from './sudoers.js';
import { DEFAULT_TOOL_PATHS, type ToolPaths } from './tools.js';

export interface PrivilegedOptions {
  /** Run commands directly instead of through `sudo -n`. Default: the process is root. */
  asRoot?: boolean;
  /** The user named in sudoers lines. Default: the process's user. */
  user?: string;
  tools?: Partial<ToolPaths>;
}

const RUN_TIMEOUT_MS = 30_000;

/**
 * The one way banger runs a command as root. Every command is checked
 * against the allow-list (allow-list.ts) first; anything else is refused
 * with AppError('internal') before a process is spawned. Allowed commands
 * run through the injected Runner, directly when the daemon is root and as
 * `sudo -n <absolute path> ...` otherwise. When sudo refuses, the error is
 * one line naming the command and the sudoers entry that would allow it.
 */
export class PrivilegedRunner {
  readonly tools: ToolPaths;
  readonly asRoot: boolean;
  readonly user: string;

  constructor(
    private readonly runner: Runner,
    options: PrivilegedOptions = {},
  ) {
    this.tools = { ...DEFAULT_TOOL_PATHS, ...options.tools };
    this.asRoot = options.asRoot ?? process.getuid?.() === 0;
    this.user = options.user ?? userInfo().username;
  }

  /**
   * Runs `tool args...` as root. With `check: false` a non-zero exit of the
   * tool itself is returned (e.g. `iptables -C` exit 1); a refusal by sudo
   * always throws AppError('host_unsupported').
   */
  async run(
    tool: PrivilegedTool,
    args: readonly string[],
    options: { check?: boolean } = {},
  ): Promise<RunResult> {
    const shape = findShape(tool, args);
    if (!shape) {
      throw new AppError(
        'internal',
        `refusing to run "${tool} ${args.join(' ')}": not on banger's privileged allow-list`,
      );
    }
    const command = [this.tools[tool], ...args];
    const argv = this.asRoot ? command : [this.tools.sudo, '-n', ...command];
    let result: RunResult;
    try {
      result = await this.runner.run(argv, { check: false, timeoutMs: RUN_TIMEOUT_MS });
    } catch (err) {
      if (!this.asRoot && err instanceof CommandError && err.message.includes('could not be started')) {
        throw new AppError(
          'host_unsupported',
          `cannot run "${command.join(' ')}" as root: sudo could not be started; install sudo or run bangerd as root`,
          { cause: err },
        );
      }
      throw err;
    }
    if (result.exitCode !== 0 && !this.asRoot && isSudoRefusal(result.stderr)) {
      const line = sudoersLine(this.user, concreteShapeFor(shape, args), this.tools);
      const why = firstLine(result.stderr);
      throw new AppError(
        'host_unsupported',
        `"${command.join(' ')}" needs root and sudo -n refused it (${why}); add to /etc/sudoers.d/banger: ${line}`,
        { details: { argv, sudoersLine: line } },
      );
    }
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandError(argv, result.exitCode, result.stderr);
    }
    return result;
  }
}

/** sudo reports its own refusals as "sudo: ..." or "Sorry, user ... is not allowed ...". */
export function isSudoRefusal(stderr: string): boolean {
  return /^sudo: /m.test(stderr) || /^Sorry, user .* (is not allowed|may not run)/m.test(stderr);
}

function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').replace(/^sudo: /, '');
}

/** One privileged command and whether the daemon may run it now. */
export interface PrivilegeCheck {
  group: PrivilegeGroup;
  /** The command shape as a sudoers-style pattern, e.g. "/usr/sbin/ip link add * address * type bridge". */
  command: string;
  allowed: boolean;
  /** The line that allows it; print it when `allowed` is false. */
  sudoersLine: string;
}

/**
 * For `banger doctor`: asks `sudo -n -l` about every allowed command shape
 * (of `groups`, default all). As root everything is allowed and nothing is
 * run. Never runs the commands themselves. `sudo -l` answers "command not
 * found" for a tool that is not installed, so ask about `dns` only on
 * systemd-resolved hosts.
 */
export async function checkPrivileges(
  runner: Runner,
  options: PrivilegedOptions & { groups?: readonly PrivilegeGroup[] } = {},
): Promise<PrivilegeCheck[]> {
  const priv = new PrivilegedRunner(runner, options);
  const checks: PrivilegeCheck[] = [];
  const shapes = expandShapes().filter(
    (s) => options.groups === undefined || options.groups.includes(s.group),
  );
  for (const shape of shapes) {
    const line = sudoersLine(priv.user, shape, priv.tools);
    const command = line.slice(line.indexOf('NOPASSWD: ') + 'NOPASSWD: '.length);
    let allowed = priv.asRoot;
    if (!allowed) {
      const argv = [priv.tools.sudo, '-n', '-l', priv.tools[shape.tool], ...sampleArgs(shape)];
      const result = await runner
        .run(argv, { check: false, timeoutMs: RUN_TIMEOUT_MS })
        .catch(() => undefined);
      allowed = result?.exitCode === 0;
    }
    checks.push({ group: shape.group, command, allowed, sudoersLine: line });
  }
  return checks;
}
