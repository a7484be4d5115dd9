import type { OnStage } from '../api/client.js';
import type { CreateVmRequest, VmSshInfo, VmView } from '../api/vms.js';
import { AppError, toAppError } from '../domain/errors.js';
import { GUEST_WORKSPACE, type PreparedWorkspace } from './workspace.js';

/**
 * `vm run` as one operation every front end shares: create a VM (waiting
 * for SSH), copy the workspace, start the tooling bootstrap, run the
 * session or command, and with `rm` delete the VM afterwards, also when the
 * operation fails or is cancelled. Everything that touches the user's
 * terminal or the guest is an injected hook, so the flow is testable
 * without a guest.
 */

/** What the operation needs from the daemon (a BangerClient has it). */
interface VmRunClient {
  createVm(req: CreateVmRequest, onStage: OnStage, signal?: AbortSignal): Promise<{ vm: VmView }>;
  vmSsh(ref: string): Promise<VmSshInfo>;
  deleteVm(ref: string): Promise<unknown>;
}

export type VmRunEvent =
  | { type: 'progress'; event: Parameters<OnStage>[0] }
  | { type: 'created'; name: string }
  | { type: 'copying'; root: string; dest: string }
  | { type: 'copied'; kind: 'git' | 'dir'; paths: number }
  | { type: 'rm-skipped'; reason: string }
  | { type: 'deleted'; name: string }
  | { type: 'delete-failed'; name: string; message: string };

export interface VmRunDeps {
  client: VmRunClient;
  copyWorkspace(info: VmSshInfo, workspace: PreparedWorkspace, signal: AbortSignal): Promise<void>;
  startTooling(info: VmSshInfo, workspace: PreparedWorkspace): Promise<void>;
  /** Runs the guest command (or a login shell when undefined) on the user's terminal; resolves with its status. */
  session(info: VmSshInfo, command: string[] | undefined, signal: AbortSignal): Promise<number>;
  onEvent(event: VmRunEvent): void;
}

export interface VmRunRequest {
  /** The VM to create; `wait` is always on (the session needs SSH). */
  create: Omit<CreateVmRequest, 'wait'>;
  workspace?: PreparedWorkspace | undefined;
  /** The guest command; empty for an interactive shell. */
  command: readonly string[];
  /** Delete the VM when the operation ends, however it ends. */
  rm: boolean;
}

export interface VmRunResult {
  name: string;
  /** The guest command's exit status; 130 when cancelled while it ran and it reported success. */
  status: number;
  /** Whether the VM still exists afterwards. */
  kept: boolean;
}

/** The guest command: in the workspace when there is one; a login shell when there is no command. */
function guestCommand(command: readonly string[], workspace: boolean): string[] | undefined {
  if (!workspace) return command.length ? [...command] : undefined;
  if (command.length === 0) return ['sh', '-c', `cd ${GUEST_WORKSPACE} && exec "\${SHELL:-/bin/sh}" -l`];
  return ['sh', '-c', `cd ${GUEST_WORKSPACE} && exec "$@"`, 'sh', ...command];
}

const cancelled = (message = 'cancelled') => new AppError('cancelled', message);

/**
 * Runs the operation. Aborting `signal` cancels the current stage: a create
 * in progress is undone by the daemon, a copy or session is ended, and with
 * `rm` the VM is deleted; the promise then rejects with AppError('cancelled'),
 * or resolves with status 130 when the session itself had ended cleanly.
 */
export async function vmRun(deps: VmRunDeps, req: VmRunRequest, signal: AbortSignal): Promise<VmRunResult> {
  const { client, onEvent } = deps;
  let name: string | undefined;
  let keep = !req.rm;
  try {
    const created = await client
      .createVm({ ...req.create, wait: true }, (event) => onEvent({ type: 'progress', event }), signal)
      .catch((err: unknown) => {
        const e = toAppError(err);
        // A timed-out create leaves the VM on purpose, for inspection; a cancelled one is undone.
        if (req.rm && e.code === 'timeout') {
          keep = true;
          onEvent({ type: 'rm-skipped', reason: 'the VM is kept so you can inspect it' });
        }
        throw e;
      });
    name = created.vm.name;
    onEvent({ type: 'created', name });
    if (signal.aborted) throw cancelled();
    const info = await client.vmSsh(name);
    if (req.workspace) {
      const { plan } = req.workspace;
      onEvent({ type: 'copying', root: plan.root, dest: GUEST_WORKSPACE });
      await deps.copyWorkspace(info, req.workspace, signal);
      onEvent({ type: 'copied', kind: plan.kind, paths: plan.entries.length });
      await deps.startTooling(info, req.workspace);
    }
    if (signal.aborted) throw cancelled();
    const status = await deps.session(info, guestCommand(req.command, req.workspace !== undefined), signal);
    return { name, status: signal.aborted && status === 0 ? 130 : status, kept: keep };
  } catch (err) {
    throw signal.aborted ? cancelled(name ? 'cancelled; the VM is being cleaned up' : 'cancelled') : err;
  } finally {
    if (!keep && name !== undefined) await deleteQuietly(deps, name);
  }
}

async function deleteQuietly(deps: VmRunDeps, name: string): Promise<void> {
  try {
    await deps.client.deleteVm(name);
    deps.onEvent({ type: 'deleted', name });
  } catch (err) {
    const e = toAppError(err);
    if (e.code !== 'not_found') deps.onEvent({ type: 'delete-failed', name, message: e.message });
  }
}
