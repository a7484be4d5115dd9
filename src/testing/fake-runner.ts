import type { Runner, RunOptions, RunResult } from '../host/runner.js';
import { CommandError } from '../host/runner.js';

/** What a scripted command returns; `exitCode` defaults to 0. */
export interface FakeResponse {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

type Matcher = (argv: readonly string[]) => boolean;

/**
 * A Runner that records every argv and replays scripted results. Rules are
 * matched in the order they were added; an unscripted command succeeds with
 * empty output unless `strict` is set, in which case it fails the test.
 */
export class FakeRunner implements Runner {
  readonly calls: string[][] = [];
  private readonly rules: { match: Matcher; respond: (argv: readonly string[]) => FakeResponse }[] = [];

  constructor(private readonly strict = false) {}

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
    if (!rule && this.strict) throw new Error(`FakeRunner: unscripted command ${argv.join(' ')}`);
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
