import type { VmSshInfo } from '../api/vms.js';
import { SpawnRunner } from '../host/runner.js';
import type { WorkspaceSource } from '../host/workspace/locate.js';
import { planWorkspace } from '../host/workspace/plan.js';
import { streamWorkspace } from '../host/workspace/stream.js';
import { toolingBootstrapCommand } from '../host/workspace/tooling.js';
import { validateWorkspaceArgs, type WorkspaceArgs } from '../host/workspace/validate.js';
import { guestSshArgv } from './guest-ssh.js';

/**
 * The client side of `vm run`'s workspace mode: the user's files are read
 * and streamed by the CLI (they are the user's, on the user's side of the
 * socket), straight into the guest over SSH.
 */

export type { WorkspaceArgs, WorkspaceSource };

export const GUEST_WORKSPACE = '/root/repo';

const runner = new SpawnRunner();

/** Checks PATH, --branch and --from on the host before any VM is made; one-line AppError otherwise. */
export function checkWorkspace(args: WorkspaceArgs): Promise<WorkspaceSource | undefined> {
  return validateWorkspaceArgs(runner, args);
}

/** Copies the workspace into the guest's /root/repo (tar over ssh) and creates --branch there. */
export async function copyWorkspace(
  info: VmSshInfo,
  source: WorkspaceSource,
  o: {
    branch?: string | undefined;
    from?: string | undefined;
    mode?: WorkspaceArgs['mode'];
    signal?: AbortSignal;
  },
): Promise<{ files: number }> {
  const plan = await planWorkspace(runner, source.root, o.mode);
  await streamWorkspace({
    plan,
    sshArgv: guestSshArgv(info, { tty: false }),
    dest: GUEST_WORKSPACE,
    branch: o.branch,
    from: o.from,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return { files: plan.entries.length };
}

/** Starts the best-effort background `mise install`; never fails `vm run`. */
export async function startTooling(info: VmSshInfo, source: WorkspaceSource): Promise<void> {
  const argv = guestSshArgv(info, { tty: false, command: toolingBootstrapCommand(source.name) });
  await runner.run(argv, { check: false, timeoutMs: 30_000 }).catch(() => undefined);
}
