import type { VmSshInfo } from '../api/vms.js';
import type { Runner } from '../host/runner.js';
import { planWorkspace, type WorkspacePlan } from '../host/workspace/plan.js';
import { streamWorkspace } from '../host/workspace/stream.js';
import { toolingBootstrapCommand } from '../host/workspace/tooling.js';
import { validateWorkspaceArgs, type WorkspaceArgs } from '../host/workspace/validate.js';
import { guestSshArgv } from './guest-ssh.js';

/**
 * The client side of `vm run`'s workspace mode: the user's files are read
 * and streamed by the client (they are the user's, on the user's side of the
 * socket), straight into the guest over SSH.
 */

export type { WorkspaceArgs };

export const GUEST_WORKSPACE = '/root/repo';

/** A checked workspace: what will be copied, where to, and how. */
export interface PreparedWorkspace {
  plan: WorkspacePlan;
  branch?: string | undefined;
  from?: string | undefined;
  /** The guest directory it is copied into; default GUEST_WORKSPACE. */
  guestPath?: string | undefined;
}

/**
 * Checks PATH, --branch and --from and plans the copy, before any VM is
 * made (one-line AppError otherwise); undefined without a PATH. The
 * repository is located and listed once: the copy streams this plan (file
 * contents are read when they are streamed).
 */
export async function prepareWorkspace(
  runner: Runner,
  args: WorkspaceArgs & { guestPath?: string | undefined },
): Promise<PreparedWorkspace | undefined> {
  const source = await validateWorkspaceArgs(runner, args);
  if (!source) return undefined;
  const plan = await planWorkspace(runner, source.root, args.mode);
  return { plan, branch: args.branch, from: args.from, guestPath: args.guestPath };
}

/**
 * Copies the workspace into the guest (tar over ssh; default /root/repo, which must be
 * new or empty) and creates --branch there.
 */
export async function copyWorkspace(
  info: VmSshInfo,
  workspace: PreparedWorkspace,
  signal?: AbortSignal,
): Promise<void> {
  await streamWorkspace({
    plan: workspace.plan,
    sshArgv: guestSshArgv(info, { tty: false }),
    dest: workspace.guestPath ?? GUEST_WORKSPACE,
    branch: workspace.branch,
    from: workspace.from,
    ...(signal ? { signal } : {}),
  });
}

/** Starts the best-effort background `mise install`; never fails `vm run`. */
export async function startTooling(
  runner: Runner,
  info: VmSshInfo,
  workspace: PreparedWorkspace,
): Promise<void> {
  const command = toolingBootstrapCommand(workspace.plan.name, {
    repoDir: workspace.guestPath ?? GUEST_WORKSPACE,
  });
  const argv = guestSshArgv(info, { tty: false, command });
  await runner.run(argv, { check: false, timeoutMs: 30_000 }).catch(() => undefined);
}
