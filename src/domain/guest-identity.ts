import { AppError } from './errors.js';
import { VM_NAME_RE } from './vm.js';

/** Printed by the identity script as its last line: the host's proof that every command ran. */
export const IDENTITY_DONE = 'BANGER-IDENTITY-DONE';

/** Who a VM restored from a snapshot becomes (it wakes up as the VM the snapshot was taken of). */
export interface GuestIdentity {
  name: string;
  /** ADDR/PREFIX on eth0. */
  address: string;
  gateway: string;
  mac: string;
  hostKey: { privateKey: string; publicKey: string };
  /** 32 lowercase hex digits. */
  machineId: string;
  /** The host's time, seconds since the epoch: the restored guest's clock stopped at the snapshot. */
  now: number;
  /**
   * false: eth0 already has this MAC and address (a warm pool VM taken under
   * a new name), so the script leaves the network alone.
   */
  reconfigureNetwork?: boolean;
}

const ADDRESS_RE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const IPV4_RE = /^(\d{1,3}\.){3}\d{1,3}$/;
const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

function check(ok: boolean, what: string, value: string): void {
  if (!ok) throw new AppError('internal', `guest identity: bad ${what} ${JSON.stringify(value)}`);
}

/**
 * The POSIX shell script, run as root in the guest by its agent right after
 * a restore, that gives it its own identity the way banger's initramfs gives
 * a booting guest one: eth0's MAC, address and default route, the hostname
 * (kernel, /etc/hostname, /etc/hosts), a new SSH host key (sshd restarted or
 * told to re-read it), a new machine-id and the host's time. Every value is
 * checked against a strict pattern (or base64-encoded), so nothing in it is
 * interpreted by the shell. It stops at the first failure; its last line is
 * IDENTITY_DONE when all went through.
 */
export function identityScript(id: GuestIdentity): string {
  check(VM_NAME_RE.test(id.name), 'name', id.name);
  check(ADDRESS_RE.test(id.address), 'address', id.address);
  check(IPV4_RE.test(id.gateway), 'gateway', id.gateway);
  check(MAC_RE.test(id.mac), 'MAC', id.mac);
  check(/^[0-9a-f]{32}$/.test(id.machineId), 'machine-id', id.machineId);
  check(Number.isSafeInteger(id.now) && id.now > 0, 'time', String(id.now));
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const addr = id.address.split('/')[0];
  const network =
    id.reconfigureNetwork === false
      ? []
      : [
          `ip link set dev eth0 address ${id.mac}`,
          'ip addr flush dev eth0',
          `ip addr add ${id.address} dev eth0`,
          'ip link set eth0 up',
          `ip route replace default via ${id.gateway} dev eth0`,
        ];
  return [
    'set -e',
    'export PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    ...network,
    `hostname ${id.name}`,
    `printf '%s\\n' ${id.name} > /etc/hostname`,
    `printf '127.0.0.1\\tlocalhost\\n${addr}\\t${id.name}\\n::1\\tlocalhost ip6-localhost ip6-loopback\\nff02::1\\tip6-allnodes\\nff02::2\\tip6-allrouters\\n' > /etc/hosts`,
    'mkdir -p /etc/ssh',
    `(umask 077 && echo ${b64(id.hostKey.privateKey)} | base64 -d > /etc/ssh/ssh_host_ed25519_key)`,
    `echo ${b64(id.hostKey.publicKey)} | base64 -d > /etc/ssh/ssh_host_ed25519_key.pub`,
    'chmod 644 /etc/ssh/ssh_host_ed25519_key.pub',
    `printf '%s\\n' ${id.machineId} > /etc/machine-id`,
    `date -s @${id.now} > /dev/null`,
    // sshd reads its host key when it starts: restart it (systemd), else ask it to re-exec.
    'if command -v systemctl > /dev/null && systemctl is-active -q ssh 2> /dev/null; then systemctl restart ssh',
    'elif command -v systemctl > /dev/null && systemctl is-active -q sshd 2> /dev/null; then systemctl restart sshd',
    'else pkill -HUP -x sshd || true; fi',
    `echo ${IDENTITY_DONE}`,
    '',
  ].join('\n');
}
