import { posix } from 'node:path';
import type { VmSshInfo } from '../api/vms.js';
import { AppError } from '../domain/errors.js';
import type { Runner } from '../host/runner.js';
import { sshFailure } from '../host/ssh/ssh-failure.js';
import { guestSshArgv } from './guest-ssh.js';
import {
  copyWorkspace,
  GUEST_WORKSPACE,
  prepareWorkspace,
  startTooling,
  type WorkspaceArgs,
} from './workspace.js';

/**
 * `vm workspace prepare`: the workspace copy of `vm run`, into a VM that is
 * already running, optionally at another guest path and read-only.
 */

export interface WorkspacePrepareArgs extends WorkspaceArgs {
  /** The guest directory; default /root/repo. Must be new or an empty directory. */
  guestPath?: string | undefined;
  /** Leave the guest copy read-only, for root too. */
  readonly?: boolean | undefined;
}

export interface WorkspacePrepareResult {
  vm: string;
  /** The host directory that was copied (the repository's top level, or PATH). */
  source: string;
  guestPath: string;
  kind: 'git' | 'dir';
  /** Paths listed for a git copy (the metadata comes on top); 0 for a plain tree. */
  paths: number;
  readonly: boolean;
  branch?: string;
}

export type WorkspacePrepareEvent =
  | { type: 'copying'; root: string; vm: string; dest: string }
  | { type: 'read-only'; dest: string };

interface PrepareClient {
  vmSsh(ref: string): Promise<VmSshInfo>;
}

/**
 * The guest path, absolute and normalised; one-line AppError('invalid_argument')
 * for a relative path, `/`, or control characters.
 */
export function checkGuestPath(path: string): string {
  const bad = (why: string) =>
    new AppError('invalid_argument', `--guest-path ${JSON.stringify(path)} ${why}, e.g. /root/repo`);
  if ([...path].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw bad('has control characters; use a plain absolute path');
  }
  if (!path.startsWith('/')) throw bad('must be an absolute path in the guest');
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '') throw bad('cannot be the guest root; name a directory');
  return normal;
}

/** An /etc/fstab field: spaces, tabs and backslashes as octal escapes (fstab(5)). */
const fstabField = (p: string) =>
  p.replace(/[\\ \t]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/**
 * Makes DEST read-only in the guest: `chmod -R a-w` (for other users), the
 * git index refreshed after that chmod (so `git status` needs no write), then
 * a read-only bind mount of DEST on itself, which holds for root too, and a
 * `nofail` /etc/fstab line so it survives a restart. Undo in the guest with
 * `umount DEST` and by removing that line.
 */
const READONLY_SCRIPT = `set -e
dest=$1 field=$2
chmod -R a-w -- "$dest"
if [ -d "$dest/.git" ] && command -v git >/dev/null 2>&1; then
  git -C "$dest" update-index -q --refresh >/dev/null 2>&1 || true
fi
mount --bind "$dest" "$dest"
mount -o remount,bind,ro "$dest"
printf '%s %s none bind,ro,nofail 0 0\\n' "$field" "$field" >>/etc/fstab
if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload >/dev/null 2>&1 || true; fi`;

async function makeReadonly(runner: Runner, info: VmSshInfo, dest: string): Promise<void> {
  const command = ['sh', '-c', READONLY_SCRIPT, 'sh', dest, fstabField(dest)];
  const r = await runner.run(guestSshArgv(info, { tty: false, command }), {
    check: false,
    timeoutMs: 120_000,
  });
  const failure = sshFailure(info.name, r.exitCode, r.stderr);
  if (failure) throw failure;
  if (r.exitCode !== 0) {
    const why = r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`;
    throw new AppError(
      'operation_failed',
      `copied, but could not make ${dest} read-only in the guest: ${why}`,
    );
  }
}

/**
 * Checks everything on the host first (PATH, mode, --branch/--from,
 * --guest-path: nothing is created on a mistake), then asks the daemon for
 * the VM (AppError conflict when it is not running), copies, optionally
 * locks the copy, and starts the best-effort tooling bootstrap like `vm run`.
 */
export async function prepareVmWorkspace(
  client: PrepareClient,
  runner: Runner,
  ref: string,
  args: WorkspacePrepareArgs,
  onEvent: (e: WorkspacePrepareEvent) => void = () => {},
): Promise<WorkspacePrepareResult> {
  const guestPath = checkGuestPath(args.guestPath ?? GUEST_WORKSPACE);
  const workspace = await prepareWorkspace(runner, { ...args, path: args.path ?? '.', guestPath });
  if (!workspace) throw new AppError('internal', 'no workspace planned for a PATH');
  const info = await client.vmSsh(ref);
  const { plan } = workspace;
  onEvent({ type: 'copying', root: plan.root, vm: info.name, dest: guestPath });
  await copyWorkspace(info, workspace);
  if (args.readonly) {
    onEvent({ type: 'read-only', dest: guestPath });
    await makeReadonly(runner, info, guestPath);
  }
  await startTooling(runner, info, workspace);
  return {
    vm: info.name,
    source: plan.root,
    guestPath,
    kind: plan.kind,
    paths: plan.entries.length,
    readonly: args.readonly === true,
    ...(args.branch !== undefined ? { branch: args.branch } : {}),
  };
}
