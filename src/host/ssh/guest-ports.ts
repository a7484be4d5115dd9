/** One listening socket in the guest. */
export interface GuestPort {
  proto: 'tcp' | 'udp';
  /** Bound address without brackets or interface suffix: `0.0.0.0`, `::`, `*`, `127.0.0.1`, … */
  address: string;
  port: number;
  /**
   * Processes holding the socket (needs root in the guest, which banger is).
   * Names are the guest's raw text, control characters included: escape
   * them before printing to a terminal.
   */
  processes: { name: string; pid: number }[];
  /** False when bound to loopback only: the host cannot reach it through `<vm>.vm`. */
  reachable: boolean;
}

/**
 * The remote command (argv, for `sshArgs({command})`) listing the guest's
 * listening TCP and UDP sockets with their processes: `ss -H -tulpn`
 * (iproute2, part of the golden image). Exits 127 with a one-line message
 * on stderr when the image has no `ss`.
 */
export function guestPortsCommand(): string[] {
  return [
    'sh',
    '-c',
    'command -v ss >/dev/null 2>&1 || { echo "this guest has no ss command (install iproute2 in the image)" >&2; exit 127; }; exec ss -H -tulpn',
  ];
}

/**
 * Parses `ss -H -tulpn` output into ports, sorted by port then protocol;
 * lines it does not understand are skipped. The same port bound on IPv4 and
 * IPv6 yields two entries (they are two sockets, possibly two processes).
 */
export function parseListeningSockets(output: string): GuestPort[] {
  const ports: GuestPort[] = [];
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const [netid, , , , local] = cols;
    if ((netid !== 'tcp' && netid !== 'udp') || local === undefined) continue;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port <= 0) continue;
    const address = local
      .slice(0, colon)
      .replace(/%[^\]]*$/, '') // interface suffix: 127.0.0.53%lo, [fe80::1]%eth0
      .replace(/^\[(.*)\]$/, '$1');
    const users = cols.slice(6).join(' ');
    const processes = [...users.matchAll(/\("([^"]*)",pid=(\d+)/g)].map((m) => ({
      name: m[1] ?? '',
      pid: Number(m[2]),
    }));
    ports.push({ proto: netid, address, port, processes, reachable: !isLoopback(address) });
  }
  const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return ports.sort((a, b) => a.port - b.port || text(a.proto, b.proto) || text(a.address, b.address));
}

function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./.test(address);
}

/** How the host reaches a guest port: `<vm>.vm:<port>`. */
export function guestPortAddress(vmName: string, port: number): string {
  return `${vmName}.vm:${port}`;
}
