import { spawn } from 'node:child_process';
import type { VmSshInfo } from '../api/vms.js';
import { AppError } from '../domain/errors.js';
import { SpawnRunner } from '../host/runner.js';
import {
  type GuestPort,
  guestPortAddress,
  guestPortsCommand,
  parseListeningSockets,
} from '../host/ssh/guest-ports.js';
import { sshArgs } from '../host/ssh/ssh-args.js';
import { sshFailure } from '../host/ssh/ssh-failure.js';

export interface GuestSshOptions {
  /** The remote command as argv (each argument arrives unchanged); omit for a login shell. */
  command?: readonly string[];
  /** Allocate a terminal: default when stdin and stdout are TTYs. */
  tty?: boolean;
}

/** The system ssh argv for a VM, with banger's key and strict host-key checking against banger's known_hosts. */
export function guestSshArgv(info: VmSshInfo, o: GuestSshOptions = {}): string[] {
  const tty = o.tty ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  return sshArgs({
    identityFile: info.keyPath,
    knownHostsFile: info.knownHostsPath,
    hostKeyAlias: info.hostKeyAlias,
    host: info.guestIp,
    user: info.user,
    tty,
    ...(o.command?.length ? { command: o.command } : {}),
  });
}

/**
 * Runs ssh to the guest with this process's stdin, stdout and stderr (bytes
 * untouched) and resolves with the remote command's exit status. ssh's own
 * failures (status 255: unreachable, wrong host key, key refused) reject
 * with one actionable AppError instead. While ssh runs, SIGINT is left to
 * ssh (the remote side gets Ctrl-C); `onSignal` is told about it.
 */
export function runGuestSsh(
  info: VmSshInfo,
  o: GuestSshOptions & { onSignal?: (signal: NodeJS.Signals) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const [cmd, ...args] = guestSshArgv(info, o);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd ?? 'ssh', args, { stdio: ['inherit', 'inherit', 'pipe'] });
    let stderrTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    let signalled = false;
    const forward = (signal: NodeJS.Signals) => () => {
      signalled = true;
      o.onSignal?.(signal);
    };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // Ends the session when the caller gives up (e.g. `vm run --rm` interrupted on its own).
    const onAbort = () => child.kill('SIGTERM');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, signal) => {
      // Ctrl-C reaches ssh and this process together; ssh may exit (255) before our handler has
      // run, so give pending signals a moment before reading its status as an ssh failure.
      setTimeout(() => {
        done();
        const status = code ?? (signal ? 128 + 2 : 1);
        if (signalled && (status === 255 || signal !== null)) return resolve(130);
        const failure = sshFailure(info.name, status, stderrTail);
        if (failure) reject(failure);
        else resolve(status);
      }, 100);
    });
  });
}

/** The guest's listening TCP/UDP sockets with their processes (`ss` over ssh). */
export async function listGuestPorts(info: VmSshInfo): Promise<(GuestPort & { url: string })[]> {
  const argv = guestSshArgv(info, { tty: false, command: guestPortsCommand() });
  const r = await new SpawnRunner().run(argv, { check: false, timeoutMs: 30_000 });
  const failure = sshFailure(info.name, r.exitCode, r.stderr);
  if (failure) throw failure;
  if (r.exitCode !== 0) {
    throw new AppError('operation_failed', r.stderr.trim().split('\n').at(-1) || `ss exited ${r.exitCode}`);
  }
  return parseListeningSockets(r.stdout).map((p) => ({ ...p, url: guestPortAddress(info.name, p.port) }));
}
