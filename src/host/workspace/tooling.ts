export interface ToolingBootstrapOptions {
  /** The workspace in the guest; default /root/repo. */
  repoDir?: string;
  /** Where the log goes; default /root/.cache/banger. */
  logDir?: string;
}

/** The guest's log of the tooling bootstrap for a repository named `repoName`. */
export function toolingLogPath(repoName: string, logDir = '/root/.cache/banger'): string {
  const safe = repoName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'repo';
  return `${logDir}/vm-run-tooling-${safe}.log`;
}

const SCRIPT = `cd "$1" 2>/dev/null || exit 0
[ -f .mise.toml ] || [ -f mise.toml ] || [ -f .tool-versions ] || exit 0
command -v mise >/dev/null 2>&1 || exit 0
mkdir -p "$(dirname "$2")" 2>/dev/null || exit 0
MISE_TRUSTED_CONFIG_PATHS="$1" MISE_YES=1 nohup setsid mise install </dev/null >"$2" 2>&1 &
exit 0`;

/**
 * The remote command (argv, for `sshArgs({command})`) that starts a
 * best-effort `mise install` in the workspace when the repository declares
 * tools (`.mise.toml`, `mise.toml` or `.tool-versions`) and the guest has
 * `mise`. It returns at once and always exits 0: mise runs detached
 * (`setsid`, `nohup`, all of its descriptors redirected, so the ssh session
 * does not wait for it), logging to `toolingLogPath(repoName)`. The repo's
 * own config is trusted for this run only (MISE_TRUSTED_CONFIG_PATHS): the
 * user asked for this repository in this sandbox.
 */
export function toolingBootstrapCommand(repoName: string, options: ToolingBootstrapOptions = {}): string[] {
  const repoDir = options.repoDir ?? '/root/repo';
  return ['sh', '-c', SCRIPT, 'sh', repoDir, toolingLogPath(repoName, options.logDir)];
}
