import { shellJoin } from './quote.js';

export interface SshArgsOptions {
  /** Private key to authenticate with (`SshIdentity.privateKeyPath`). */
  identityFile: string;
  /** banger's known_hosts (`BangerPaths.knownHostsFile`). */
  knownHostsFile: string;
  /** The name the host key is recorded under in known_hosts: the VM id (see KnownHosts.trust). */
  hostKeyAlias: string;
  /** Guest address. */
  host: string;
  port?: number;
  user?: string;
  /** Seconds to wait for the TCP connection; default 10. */
  connectTimeoutSeconds?: number;
  /** Allocate a terminal (`-t`): for interactive sessions. Default false (`-T`). */
  tty?: boolean;
  /** Never prompt (`BatchMode=yes`). Default: on unless `tty` (a configured key may have a passphrase). */
  batchMode?: boolean;
  /**
   * The remote command as argv; each argument is quoted for the guest's
   * shell so it arrives unchanged. Omit for a login shell, or to get an argv
   * prefix to which a caller appends one already-quoted command line.
   */
  command?: readonly string[];
}

/**
 * The system `ssh` argv for one connection to a guest. Trust comes only from
 * banger's known_hosts, looked up under `hostKeyAlias` with strict checking:
 * a guest presenting any other host key is refused (exit 255), and nothing is
 * ever added to a known_hosts file. `-F /dev/null` keeps the user's own ssh
 * config (a `Host *` ProxyJump, ControlMaster, …) from redirecting or
 * hijacking connections to banger's guests. The destination follows `--`, so
 * neither it nor the command can be read as an option.
 */
export function sshArgs(o: SshArgsOptions): string[] {
  const opt = (kv: string) => ['-o', kv];
  const batch = o.batchMode ?? !o.tty;
  const argv = [
    'ssh',
    '-F',
    '/dev/null',
    '-i',
    o.identityFile,
    ...opt('IdentitiesOnly=yes'),
    ...opt('PreferredAuthentications=publickey'),
    ...opt('StrictHostKeyChecking=yes'),
    ...opt(`UserKnownHostsFile=${o.knownHostsFile}`),
    ...opt('GlobalKnownHostsFile=/dev/null'),
    ...opt(`HostKeyAlias=${o.hostKeyAlias}`),
    ...opt('CheckHostIP=no'),
    ...opt('UpdateHostKeys=no'),
    ...opt(`ConnectTimeout=${o.connectTimeoutSeconds ?? 10}`),
    // A guest that vanishes mid-command (killed, host suspended) ends ssh within a minute instead of never.
    ...opt('ServerAliveInterval=15'),
    ...opt('ServerAliveCountMax=4'),
    ...opt(`BatchMode=${batch ? 'yes' : 'no'}`),
    ...opt('LogLevel=ERROR'),
    o.tty ? '-t' : '-T',
    '-p',
    String(o.port ?? 22),
    '--',
    `${o.user ?? 'root'}@${o.host}`,
  ];
  if (o.command !== undefined && o.command.length > 0) argv.push(shellJoin(o.command));
  return argv;
}
