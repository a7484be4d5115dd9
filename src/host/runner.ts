import { spawn } from 'node:child_process';
import { AppError } from '../domain/errors.js';

export interface RunOptions {
  /** Kill the command after this many milliseconds (SIGTERM, then SIGKILL). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** When false a non-zero exit is returned instead of thrown. Default true. */
  check?: boolean;
  /**
   * Called with each chunk of output as it arrives (for live logs and
   * progress); the full output is still returned in the result.
   */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs host commands. Every host command in banger goes through one injected
 * Runner so tests can substitute a FakeRunner and so failures carry argv,
 * exit code and the tail of stderr.
 *
 * Contract: `run` resolves once the process has exited and its output is
 * drained; with `check` (the default) a non-zero exit, a timeout or a failure
 * to spawn rejects with a CommandError.
 */
export interface Runner {
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

const STDERR_TAIL_BYTES = 2000;

/** A host command that failed; carries what is needed to diagnose it. */
export class CommandError extends AppError {
  readonly argv: readonly string[];
  readonly exitCode_: number | null;
  readonly stderrTail: string;

  constructor(argv: readonly string[], exitCode: number | null, stderr: string, reason?: string) {
    const tail = stderr.length > STDERR_TAIL_BYTES ? stderr.slice(-STDERR_TAIL_BYTES) : stderr;
    const what = reason ?? `exited with status ${exitCode}`;
    const last = tail.trim().split('\n').at(-1) ?? '';
    super(
      reason?.startsWith('timed out') ? 'timeout' : 'operation_failed',
      `${argv.join(' ')} ${what}${last ? `: ${last}` : ''}`,
      { details: { argv, exitCode, stderr: tail } },
    );
    this.name = 'CommandError';
    this.argv = argv;
    this.exitCode_ = exitCode;
    this.stderrTail = tail;
  }
}

/** The real runner: spawns without a shell, captures output. */
export class SpawnRunner implements Runner {
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return Promise.reject(new AppError('internal', 'empty command'));
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let failure: string | undefined;
      child.stdout.on('data', (b: Buffer) => {
        out.push(b);
        options.onOutput?.(b, 'stdout');
      });
      child.stderr.on('data', (b: Buffer) => {
        err.push(b);
        options.onOutput?.(b, 'stderr');
      });
      const kill = (why: string) => {
        failure ??= why;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => kill(`timed out after ${options.timeoutMs} ms`), options.timeoutMs);
      const onAbort = () => kill('was cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (e) => {
        failure ??= `could not be started (${(e as NodeJS.ErrnoException).code ?? e.message})`;
      });
      child.on('close', (code) => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        const exitCode = code ?? -1;
        if (failure !== undefined) return reject(new CommandError(argv, code, stderr, failure));
        if (exitCode !== 0 && options.check !== false)
          return reject(new CommandError(argv, exitCode, stderr));
        resolve({ argv, exitCode, stdout, stderr });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    });
  }
}
