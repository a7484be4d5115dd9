import type { Runner, RunOptions, RunResult } from '../host/runner.js';
import { CommandError } from '../host/runner.js';

/** What a scripted command returns; `exitCode` defaults to 0. */
export interface FakeResponse {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

export interface FakeRunnerOptions {
  /**
   * Let unscripted commands succeed with empty output. Only for tests whose
   * subject runs commands that are not the point of the test; say why at the
   * call site.
   */
  lenient?: boolean;
}

type Matcher = (argv: readonly string[]) => boolean;

/**
 * A Runner that records every argv and replays scripted results. Rules are
 * matched in the order they were added. An unscripted command fails the test
 * (run rejects with an Error naming it, and `unscripted` keeps it for a check
 * after code that swallows errors) unless the runner is lenient.
 */
export class FakeRunner implements Runner {
  readonly calls: string[][] = [];
  /** Commands that matched no rule, in order, each joined with spaces. */
  readonly unscripted: string[] = [];
  private readonly rules: { match: Matcher; respond: (argv: readonly string[]) => FakeResponse }[] = [];
  private readonly lenient: boolean;

  constructor(options: FakeRunnerOptions = {}) {
    this.lenient = options.lenient === true;
  }

  /** Script a response for commands whose argv starts with `prefix`. */
  on(
    prefix: readonly string[] | Matcher,
    response: FakeResponse | ((argv: readonly string[]) => FakeResponse),
  ): this {
    const match: Matcher =
      typeof prefix === 'function' ? prefix : (argv) => prefix.every((part, i) => argv[i] === part);
    this.rules.push({ match, respond: typeof response === 'function' ? response : () => response });
    return this;
  }

  /** The recorded commands, each joined with spaces, for readable assertions. */
  get commandLines(): string[] {
    return this.calls.map((argv) => argv.join(' '));
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    this.calls.push([...argv]);
    const rule = this.rules.find((r) => r.match(argv));
    if (!rule && !this.lenient) {
      this.unscripted.push(argv.join(' '));
      throw new Error(`FakeRunner: unscripted command ${argv.join(' ')}`);
    }
    const response = rule?.respond(argv) ?? {};
    const result = {
      argv,
      exitCode: response.exitCode ?? 0,
      stdout: response.stdout ?? '',
      stderr: response.stderr ?? '',
    };
    if (result.stdout) options.onOutput?.(Buffer.from(result.stdout), 'stdout');
    if (result.stderr) options.onOutput?.(Buffer.from(result.stderr), 'stderr');
    if (result.exitCode !== 0 && options.check !== false) {
      throw new CommandError(argv, result.exitCode, result.stderr);
    }
    return result;
  }
}
