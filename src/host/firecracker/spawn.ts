import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { AppError } from '../../domain/errors.js';
import { readProcStat } from '../proc.js';
import { openAppend } from './files.js';

export interface SpawnedVmm {
  child: ChildProcess;
  pid: number;
  startTime: number;
  /** Resolves when the process has exited (and been reaped), with how it ended. */
  exited: Promise<string>;
}

/**
 * The argv that runs `bin`. A `.js` file (the bundled stand-in) is run with
 * this Node, so it does not depend on `node` being on the daemon's PATH.
 */
export function vmmArgv(bin: string, args: readonly string[]): string[] {
  return bin.endsWith('.js') ? [process.execPath, bin, ...args] : [bin, ...args];
}

/**
 * Starts the VMM detached, in its own session (setsid): no controlling
 * terminal and its own process group, so neither the daemon's death nor a
 * signal to the daemon's group reaches it. stdin is /dev/null; stdout and
 * stderr are appended to `consolePath`, a regular file, so a chatty guest
 * never blocks on a pipe nobody reads. Its working directory is the VM dir,
 * so it pins no other directory. Resolves once the exec succeeded.
 */
export async function spawnVmm(
  argv: readonly string[],
  consolePath: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<SpawnedVmm> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new AppError('internal', 'empty Firecracker command');
  const fd = openAppend(consolePath);
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], cwd, env });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve(signal ? `was killed by ${signal}` : `exited with status ${code}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new AppError('operation_failed', `could not start ${cmd}: ${err.code ?? err.message}`)),
    );
  });
  child.unref();
  const pid = child.pid;
  // The start time is fixed at fork, so reading it before exec has happened is fine.
  const startTime = pid === undefined ? undefined : readProcStat(pid)?.startTime;
  if (pid === undefined || startTime === undefined) {
    child.kill('SIGKILL');
    throw new AppError('operation_failed', `${cmd} exited immediately after starting`);
  }
  return { child, pid, startTime, exited };
}
