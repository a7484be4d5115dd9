import { AppError } from '../../domain/errors.js';

/** ssh's own exit status for "ssh failed" as opposed to the remote command's status. */
const SSH_FAILED = 255;

/**
 * Turns a failed `ssh` run into one actionable line. Returns undefined when
 * `exitCode` is not ssh's own failure status, i.e. it is the remote
 * command's exit status and must be passed through as it is. (A remote
 * command that itself exits 255 is indistinguishable; its stderr then
 * carries no ssh diagnostics and the generic message applies.)
 */
export function sshFailure(vm: string, exitCode: number, stderr: string): AppError | undefined {
  if (exitCode !== SSH_FAILED) return undefined;
  const last = stderr.trim().split('\n').at(-1)?.trim() ?? '';
  if (/Host key verification failed/.test(stderr)) {
    return new AppError(
      'operation_failed',
      `refusing to connect to ${vm}: its SSH host key is not the one banger generated for it; if the VM was rebuilt outside banger, delete and recreate it`,
    );
  }
  if (/Permission denied \(publickey/.test(stderr)) {
    return new AppError(
      'operation_failed',
      `${vm} rejected banger's SSH key; check ssh_key_path in the config and the guest's /root/.ssh/authorized_keys`,
    );
  }
  if (/Connection refused|Connection timed out|No route to host|timed out/.test(stderr)) {
    return new AppError(
      'operation_failed',
      `cannot reach ${vm} over SSH (${last}); check that it is running (banger vm show ${vm}) and its console (banger vm logs ${vm})`,
    );
  }
  return new AppError('operation_failed', `ssh to ${vm} failed${last ? `: ${last}` : ''}`);
}
