import type { VmSshInfo } from '../api/vms.js';

/**
 * `vm acp`: an ACP (Agent Client Protocol: JSON-RPC over stdio) agent in
 * the guest, bridged to the caller's stdio by ssh -T, bytes untouched.
 */

const DEFAULT_ACP_AGENT = 'opencode acp';

/** Exit status of `vm acp` when the agent command is not installed in the guest (the shell's "not found"). */
const ACP_AGENT_MISSING = 127;

/** Exit status of `vm acp` when --cwd is not a directory in the guest. */
const ACP_BAD_CWD = 2;

export interface GuestAcpOptions {
  /** The agent command line, run by the guest's sh; default DEFAULT_ACP_AGENT. */
  agent?: string | undefined;
  /** The agent's directory; default /root/repo (vm run's workspace) when it exists, else the home directory. */
  cwd?: string | undefined;
}

/**
 * Runs in the guest as `sh -c SCRIPT sh VM CWD AGENT DEFAULT_DIR`. The login
 * profiles set PATH as a login shell would, but their stdout goes to stderr
 * and their stdin is /dev/null: stdout and stdin belong to the protocol. A
 * plain first word of AGENT (no quotes or expansions) must be a command, or
 * one line on stderr and exit 127; then AGENT runs in CWD with the session's
 * stdin and stdout, and its exit status is the session's.
 */
const SCRIPT = `vm=$1 cwd=$2 agent=$3
if [ -z "$cwd" ]; then
  if [ -d "$4" ]; then cwd=$4; else cwd=$HOME; fi
fi
{ [ -r /etc/profile ] && . /etc/profile; [ -r "$HOME/.profile" ] && . "$HOME/.profile"; } </dev/null >&2
if ! cd -- "$cwd" 2>/dev/null; then
  echo "banger: --cwd $cwd is not a directory in $vm" >&2
  exit ${ACP_BAD_CWD}
fi
trimmed=\${agent#"\${agent%%[![:space:]]*}"}
first=\${trimmed%%[[:space:]]*}
case $first in
  -*|*[!A-Za-z0-9_./+-]*|'') ;;
  *) if ! command -v "$first" >/dev/null 2>&1; then
       echo "banger: the ACP agent command \\\`$first\\\` is not installed in $vm (PATH=$PATH); install it there, or choose another agent: banger vm acp $vm --agent 'CMD'" >&2
       exit ${ACP_AGENT_MISSING}
     fi ;;
esac
eval "$agent"`;

/** The remote command (argv for guestSshArgv) that starts the agent in the guest. */
export function guestAcpCommand(info: VmSshInfo, o: GuestAcpOptions = {}): string[] {
  return ['sh', '-c', SCRIPT, 'sh', info.name, o.cwd ?? '', o.agent ?? DEFAULT_ACP_AGENT, '/root/repo'];
}
