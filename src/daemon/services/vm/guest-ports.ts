import { AppError } from '../../../domain/errors.js';
import type { Runner } from '../../../host/runner.js';
import {
  type GuestPort,
  guestPortAddress,
  guestPortsCommand,
  parseListeningSockets,
} from '../../../host/ssh/guest-ports.js';
import { sshArgs } from '../../../host/ssh/ssh-args.js';
import { sshFailure } from '../../../host/ssh/ssh-failure.js';
import type { VmService } from './vm-service.js';

/** A listening socket in the guest and how the host reaches it (`<vm>.vm:<port>`). */
export type ReachablePort = GuestPort & { url: string };

/**
 * The guest's listening TCP/UDP sockets, for the web UI: what `banger vm
 * ports` shows, found the same way (`ss` over SSH with banger's key and
 * known_hosts, src/host/ssh/guest-ports.ts), but run by the daemon, since a
 * browser cannot SSH. Rejects with one line: the VM is not running, SSH
 * fails, or the guest has no `ss`.
 */
export async function listVmPorts(vms: VmService, runner: Runner, ref: string): Promise<ReachablePort[]> {
  const info = await vms.sshInfo(ref);
  const argv = sshArgs({
    identityFile: info.keyPath,
    knownHostsFile: info.knownHostsPath,
    hostKeyAlias: info.hostKeyAlias,
    host: info.guestIp,
    user: info.user,
    tty: false,
    command: guestPortsCommand(),
  });
  const r = await runner.run(argv, { check: false, timeoutMs: 30_000 });
  const failure = sshFailure(info.name, r.exitCode, r.stderr);
  if (failure) throw failure;
  if (r.exitCode !== 0) {
    throw new AppError('operation_failed', r.stderr.trim().split('\n').at(-1) || `ss exited ${r.exitCode}`);
  }
  return parseListeningSockets(r.stdout).map((p) => ({ ...p, url: guestPortAddress(info.name, p.port) }));
}
